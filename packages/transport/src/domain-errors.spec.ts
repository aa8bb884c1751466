import { status } from '@grpc/grpc-js';
import {
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
} from './domain-errors.js';

describe('GRPC_STATUS_OF', () => {
  it.each([
    ['not-found', status.NOT_FOUND],
    ['not-allowed', status.PERMISSION_DENIED],
    ['unauthenticated', status.UNAUTHENTICATED],
    ['invalid', status.INVALID_ARGUMENT],
    ['conflict', status.ALREADY_EXISTS],
    ['precondition', status.FAILED_PRECONDITION],
    ['busy', status.RESOURCE_EXHAUSTED],
    ['unavailable', status.UNAVAILABLE],
  ] as const)('%s → %s', (kind, code) => {
    expect(GRPC_STATUS_OF[kind]).toBe(code);
  });

  it('gives every kind its own status', () => {
    const codes = Object.values(GRPC_STATUS_OF);
    expect(new Set(codes).size).toBe(codes.length);
  });
});

describe('the generic domain errors', () => {
  it.each([
    [new NotFound(), 'not-found', 'not found'],
    [new NotAllowed(), 'not-allowed', 'permission denied'],
    [new Unauthenticated(), 'unauthenticated', 'authentication required'],
    [new InvalidRequest('bad'), 'invalid', 'bad'],
    [new Conflict('taken'), 'conflict', 'taken'],
    [new PreconditionFailed('not now'), 'precondition', 'not now'],
    [new Busy('later, nothing done'), 'busy', 'later, nothing done'],
    [new Unavailable('later'), 'unavailable', 'later'],
  ])('%p is a %s error saying %j', (error, kind, message) => {
    expect(error).toBeInstanceOf(DomainError);
    expect(error.kind).toBe(kind);
    expect(error.publicMessage).toBe(message);
    expect(error.message).toBe(message);
  });

  it("is named after the service's own subclass and keeps its cause for the log", () => {
    class OrderNotFound extends NotFound {}
    const cause = new Error('row 42 missing');
    const error = new OrderNotFound('order not found', { cause });
    expect(error.name).toBe('OrderNotFound');
    expect(error.cause).toBe(cause);
    expect(error.publicMessage).toBe('order not found');
  });
});
