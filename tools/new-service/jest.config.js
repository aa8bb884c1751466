import preset from '@citadel/jest-config';
// The proof runs the generator in a scratch copy of the repository, builds it and boots it:
// a couple of minutes on a busy 2-core machine.
export default { ...preset, roots: ['<rootDir>/src'], testTimeout: 60_000 };
