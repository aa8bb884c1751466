export {
  monitorPort,
  serviceMain,
  type ServiceMainDeps,
  type ServiceClients,
  type ServiceMainOptions,
} from './service-main.js';
export { runGrpcService, type RunGrpcServiceOptions } from './run-grpc-service.js';
export { auditControllerFor } from './audit.controller.js';
