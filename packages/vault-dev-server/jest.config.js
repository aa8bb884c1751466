import preset from '@citadel/jest-config';
// The database engine's specs drive a real PostgreSQL (roles, SCRAM verifiers, logins),
// which takes seconds on a busy 2-core machine: the deadline is for a hang, not for load.
export default { ...preset, roots: ['<rootDir>/src'], testTimeout: 30_000 };
