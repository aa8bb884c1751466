// Every workspace lints with the one shared config (packages/eslint-config); ESLint finds
// this file from any of them.
export { default } from '@citadel/eslint-config';
