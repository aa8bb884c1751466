import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';

/**
 * The one way a Citadel gRPC server reports a failure: an RpcException carrying a gRPC
 * status code, which Nest hands to grpc-js as the call's status. Messages are short:
 * security failures say little to the caller and much to the log.
 */
export function rpcError(code: status, message: string): RpcException {
  return new RpcException({ code, message });
}

export const unauthenticated = (message = 'authentication required') =>
  rpcError(status.UNAUTHENTICATED, message);
export const permissionDenied = (message = 'permission denied') =>
  rpcError(status.PERMISSION_DENIED, message);
export const notFound = (message = 'not found') => rpcError(status.NOT_FOUND, message);
export const invalidArgument = (message: string) => rpcError(status.INVALID_ARGUMENT, message);
export const failedPrecondition = (message: string) =>
  rpcError(status.FAILED_PRECONDITION, message);
export const alreadyExists = (message: string) => rpcError(status.ALREADY_EXISTS, message);
export const unavailable = (message: string) => rpcError(status.UNAVAILABLE, message);
