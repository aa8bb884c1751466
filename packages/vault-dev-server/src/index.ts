export {
  startVaultDevServer,
  type RunningVaultDevServer,
  type UninitializedVaultDevServerOptions,
  type VaultDevServer,
  type VaultDevServerOptions,
} from './server.js';
export type { TlsFiles } from './tls-front.js';
export { parsePolicy, PolicyParseError, CAPABILITIES } from './hcl-policy.js';
export type { Capability, PathRule } from './hcl-policy.js';
export { allowed, type Policy } from './acl.js';
export { parseDuration } from './durations.js';
export { isLoopbackHost, NonLoopbackBindError } from './loopback.js';
export { ensureRootToken } from './root-token.js';
export { jsonLineLog, type LogEntry, type VaultLog } from './log.js';
export {
  startKubernetesStandIn,
  type KubernetesStandIn,
  type ServiceAccountTokenOptions,
} from './kubernetes-stand-in.js';
