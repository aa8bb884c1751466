import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { status } from '@grpc/grpc-js';
import { throwError, type Observable } from 'rxjs';
import { DomainError, GRPC_STATUS_OF } from './domain-errors.js';

/** The status a failed call ends with, as grpc-js reads it from the error it is handed. */
export interface GrpcFailure {
  code: status;
  message: string;
}

/** All a caller learns of a failure nobody foresaw: the log has the rest. */
export const INTERNAL_FAILURE: GrpcFailure = {
  code: status.INTERNAL,
  message: 'Internal server error',
};

/**
 * The one place a Citadel gRPC server turns a thrown error into the caller's status.
 * A `DomainError` becomes its kind's status with its public message; an `RpcException`
 * (the transport's own statuses: the JWT guard's refusals, a call cancelled or past its
 * deadline) keeps the status it carries; anything
 * else is a bug or an outage underneath, so the caller gets INTERNAL and a generic message
 * (a driver error or a stack can name tables, hosts, secrets) and `onUnexpected` gets the error.
 */
export function grpcFailureOf(error: unknown, onUnexpected: (error: unknown) => void): GrpcFailure {
  if (error instanceof DomainError) {
    return { code: GRPC_STATUS_OF[error.kind], message: error.publicMessage };
  }
  if (error instanceof RpcException) return carriedFailure(error);
  onUnexpected(error);
  return INTERNAL_FAILURE;
}

/** An RpcException's status as it was raised (a bare string has none: UNKNOWN, as in Nest). */
function carriedFailure(exception: RpcException): GrpcFailure {
  const carried = exception.getError();
  return typeof carried === 'string'
    ? { code: status.UNKNOWN, message: carried }
    : (carried as GrpcFailure);
}

/** `grpcFailureOf` as the Nest exception filter every Citadel gRPC server registers. */
@Catch()
export class DomainErrorFilter implements RpcExceptionFilter<unknown> {
  constructor(private readonly onUnexpected: (error: unknown) => void) {}

  catch(exception: unknown): Observable<never> {
    const failure = grpcFailureOf(exception, this.onUnexpected);
    return throwError(() => failure);
  }
}
