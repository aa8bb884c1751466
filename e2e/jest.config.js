import preset from '../jest.preset.js';

/** The attacker's suite: one real Citadel booted for all files, torn down even on failure. */
export default {
  ...preset,
  rootDir: '.',
  testMatch: ['<rootDir>/**/*.e2e-spec.ts'],
  globalSetup: '<rootDir>/support/global-setup.mjs',
  globalTeardown: '<rootDir>/support/global-teardown.mjs',
  testTimeout: 30_000,
};
