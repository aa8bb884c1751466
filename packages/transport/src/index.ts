export {
  EAST_WEST_POLICY,
  OPERATOR_POLICY,
  SELF_CALLS,
  fullMethodName,
  type EastWestPolicy,
  type FullMethodName,
  type MethodGrant,
  type OperatorPolicy,
} from './east-west.policy.js';
export {
  checkCallerAllowed,
  delegatesTo,
  delegationAudiences,
  policyEdges,
  POLICY,
  type CallerDecision,
  type Policy,
} from './caller-policy.js';
export {
  channelCredentials,
  enforceTls13,
  serverCredentials,
  serviceFromCertificate,
  uriSans,
  type MeshIdentity,
  type ServiceTls,
} from './mtls.js';
export {
  renewalTime,
  WorkloadIdentity,
  type CurrentIdentity,
  type IdentityClock,
  type IdentityLogger,
  type IssuedCertificate,
  type WorkloadIdentityOptions,
} from './workload-identity.js';
export { callerServiceOf, methodOf } from './peer-identity.js';
export { enforceEastWestPolicy, traceIdOf, type DenialEvent } from './east-west.interceptor.js';
export {
  CurrentCall,
  callContextOf,
  setCallContext,
  type CallContext,
  type UserContext,
} from './call-context.js';
export { permissionDenied, rpcError, unauthenticated } from './rpc-errors.js';
export {
  Busy,
  Conflict,
  DomainError,
  GRPC_STATUS_OF,
  InvalidRequest,
  NotAllowed,
  NotFound,
  PreconditionFailed,
  Unauthenticated,
  Unavailable,
  type DomainErrorKind,
} from './domain-errors.js';
export {
  DomainErrorFilter,
  INTERNAL_FAILURE,
  grpcFailureOf,
  type GrpcFailure,
} from './domain-error.filter.js';
export {
  ServiceClient,
  bearerMetadata,
  contractClient,
  healthCheck,
  isServiceError,
  type CallOptions,
} from './grpc-client.js';
export { ContractMethod, type ContractHandler } from './contract-method.js';
export { startGrpcService, type GrpcServiceOptions } from './grpc-server.js';
export { traceRpcCalls, type RpcHandledEvent } from './rpc-trace.interceptor.js';
