import {
  BadRequestException,
  ForbiddenException,
  InternalServerErrorException,
} from '@nestjs/common';
import { status } from '@grpc/grpc-js';
import {
  Busy,
  Conflict,
  InvalidRequest,
  NotAllowed,
  NotFound,
  PreconditionFailed,
  Unauthenticated,
  Unavailable,
} from '@citadel/transport';
import { toProblem } from './problem.js';

const grpcError = (code: status, details: string) =>
  Object.assign(new Error(details), { code, details, metadata: {} });

describe('toProblem', () => {
  it.each([
    [status.UNAUTHENTICATED, 401],
    [status.PERMISSION_DENIED, 403],
    [status.NOT_FOUND, 404],
    [status.INVALID_ARGUMENT, 400],
    [status.FAILED_PRECONDITION, 409],
    [status.ALREADY_EXISTS, 409],
    [status.RESOURCE_EXHAUSTED, 429],
    [status.UNAVAILABLE, 503],
    [status.DEADLINE_EXCEEDED, 504],
    [status.INTERNAL, 500],
    [status.UNKNOWN, 500],
  ])('maps gRPC %i to HTTP %i', (code, http) => {
    expect(toProblem(grpcError(code, 'x'), 't').status).toBe(http);
  });

  it('never shows a downstream message for security or server failures', () => {
    expect(
      toProblem(grpcError(status.PERMISSION_DENIED, 'analytics may not call payment'), 't').detail,
    ).toBeUndefined();
    expect(
      toProblem(grpcError(status.INTERNAL, 'at Object.<anonymous> (/srv/x.ts:1:1)'), 't').detail,
    ).toBeUndefined();
    expect(
      toProblem(new InternalServerErrorException('db password is hunter2'), 't').detail,
    ).toBeUndefined();
    expect(toProblem(new TypeError('boom'), 't')).toEqual({
      type: 'https://citadel.local/problems/internal-server-error',
      title: 'Internal Server Error',
      status: 500,
      trace_id: 't',
    });
  });

  it('names the fields of a validation failure', () => {
    const problem = toProblem(
      new BadRequestException({
        message: 'request validation failed',
        errors: [{ field: 'items.0.quantity', message: 'too big' }],
      }),
      't',
    );
    expect(problem.errors).toEqual([{ field: 'items.0.quantity', message: 'too big' }]);
    expect(toProblem(new ForbiddenException(), 't')).not.toHaveProperty('detail');
  });

  it.each([
    [new InvalidRequest('items must hold 1..50 entries'), 400, 'items must hold 1..50 entries'],
    [new Unauthenticated('invalid credentials'), 401, undefined],
    [new NotAllowed('only admins may do this to order 42'), 403, undefined],
    [new NotFound('order 42 belongs to bob'), 404, undefined],
    [
      new Conflict('this Idempotency-Key was used for a different request'),
      409,
      'this Idempotency-Key was used for a different request',
    ],
    [new PreconditionFailed('order is pending'), 409, 'order is pending'],
    [new Busy('too many logins in progress'), 429, undefined],
    [new Unavailable('payment did not answer'), 503, undefined],
  ])(
    "a gateway's own %p is answered as the same failure from a service: %i, detail %p",
    (error, http, detail) => {
      const problem = toProblem(error, 't');
      expect(problem.status).toBe(http);
      expect(problem.detail).toBe(detail);
    },
  );
});
