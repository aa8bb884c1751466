export {
  bootSystem,
  RATE_LIMITS_OUT_OF_REACH,
  REPLICAS_NEED_REDIS,
  type GatewayReplicaName,
  type RunningSystem,
  type SystemOptions,
} from './system.js';
export { ensureDemoUsers, type DemoUser } from './demo-users.js';
export { freePort, freePorts } from './free-port.js';
export { gatewayRequest, type GatewayAnswer } from './gateway-client.js';
