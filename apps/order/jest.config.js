import preset from '@citadel/jest-config';
// Embedded PostgreSQL (PGlite) takes seconds to start on a busy 2-core machine.
export default { ...preset, roots: ['<rootDir>/src'], testTimeout: 30_000 };
