import preset from '@citadel/jest-config';

/** The attacker's suite: one real Citadel booted for all files, torn down even on failure. */
export default {
  ...preset,
  rootDir: '.',
  testMatch: ['<rootDir>/**/*.e2e-spec.ts'],
  globalSetup: '<rootDir>/support/global-setup.mjs',
  globalTeardown: '<rootDir>/support/global-teardown.mjs',
  // Every wait inside a test is on readiness; this is only the backstop for a hung test,
  // sized so that a system booting on a machine with one core busy elsewhere fits in it.
  testTimeout: 180_000,
};
