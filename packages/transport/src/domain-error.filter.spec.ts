import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { DomainErrorFilter, grpcFailureOf, INTERNAL_FAILURE } from './domain-error.filter.js';
import { InvalidRequest, NotAllowed, NotFound } from './domain-errors.js';
import { permissionDenied, unauthenticated } from './rpc-errors.js';

class OrderNotFound extends NotFound {
  constructor() {
    super('order not found');
  }
}

describe('grpcFailureOf', () => {
  let reported: unknown[] = [];
  const unexpected = (error: unknown) => void reported.push(error);
  beforeEach(() => (reported = []));

  it.each([
    [new OrderNotFound(), status.NOT_FOUND, 'order not found'],
    [new NotAllowed(), status.PERMISSION_DENIED, 'permission denied'],
    [
      new InvalidRequest('items must hold 1..50 entries'),
      status.INVALID_ARGUMENT,
      'items must hold 1..50 entries',
    ],
  ])('a %p ends the call with its status and public message', (error, code, message) => {
    expect(grpcFailureOf(error, unexpected)).toEqual({ code, message });
    expect(reported).toEqual([]);
  });

  it("keeps the status of the guards' own refusals", () => {
    expect(grpcFailureOf(unauthenticated('invalid user token'), unexpected)).toEqual({
      code: status.UNAUTHENTICATED,
      message: 'invalid user token',
    });
    expect(grpcFailureOf(permissionDenied(), unexpected)).toEqual({
      code: status.PERMISSION_DENIED,
      message: 'permission denied',
    });
    expect(grpcFailureOf(new RpcException('bare'), unexpected)).toEqual({
      code: status.UNKNOWN,
      message: 'bare',
    });
    expect(reported).toEqual([]);
  });

  it('answers anything else with INTERNAL and a generic message, and reports the error', () => {
    const leak = new Error('connect ECONNREFUSED 10.0.0.7:5432 (user citadel_order)');
    const failure = grpcFailureOf(leak, unexpected);
    expect(failure).toEqual({ code: status.INTERNAL, message: 'Internal server error' });
    expect(failure).toBe(INTERNAL_FAILURE);
    expect(reported).toEqual([leak]);
  });

  it('does not trust an error that merely looks like a gRPC status', () => {
    const downstream = Object.assign(new Error('payment: db down'), {
      code: status.NOT_FOUND,
      details: 'payment: db down',
    });
    expect(grpcFailureOf(downstream, unexpected)).toBe(INTERNAL_FAILURE);
  });
});

describe('DomainErrorFilter', () => {
  it('hands grpc-js the failure as the error of the call', async () => {
    const reported: unknown[] = [];
    const filter = new DomainErrorFilter((error) => void reported.push(error));
    await expect(lastValueFrom(filter.catch(new OrderNotFound()))).rejects.toEqual({
      code: status.NOT_FOUND,
      message: 'order not found',
    });
    await expect(lastValueFrom(filter.catch(new TypeError('x is undefined')))).rejects.toBe(
      INTERNAL_FAILURE,
    );
    expect(reported).toHaveLength(1);
  });
});
