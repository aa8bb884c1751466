import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';

/**
 * The transport's own statuses: the guards' refusals in front of every handler (the
 * internal JWT guard) before any use case runs, and a handler reporting the fate of the
 * call itself (cancelled by its caller, past its deadline). Use cases throw `DomainError`s
 * instead; `DomainErrorFilter` passes these through with the status they carry. Messages
 * are short: security failures say little to the caller and much to the log.
 */
export function rpcError(code: status, message: string): RpcException {
  return new RpcException({ code, message });
}

export const unauthenticated = (message = 'authentication required') =>
  rpcError(status.UNAUTHENTICATED, message);
export const permissionDenied = (message = 'permission denied') =>
  rpcError(status.PERMISSION_DENIED, message);
