// The gateway's composition surface: what its `main.ts` puts together (with Vault, mTLS
// clients and the token exchange), exported so a harness can compose the same module and
// edge. Running the gateway is `main.ts`; nothing here starts anything.
export { GatewayModule } from './app.module.js';
export type { Downstream } from './downstream.js';
export { createGatewayApp, edgeLimitsOf, type GatewayAppOptions } from './gateway-app.js';
export { gatewayEnvSchema, type GatewayEnv } from './gateway-env.js';
export { LoginThrottle } from './auth/login-throttle.js';
export { RateLimits } from './edge/rate-limits.js';
export type { Principal } from './session/principal.js';
export { credentialKey, type CredentialKey } from './session/credential-key.js';
export { TokenExchange } from './session/token-exchange.js';
