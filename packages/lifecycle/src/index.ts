export { exitWithLauncher, failStart, reportReady } from './lifecycle.js';
