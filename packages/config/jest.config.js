import preset from '@citadel/jest-config';
export default { ...preset, roots: ['<rootDir>/src'] };
