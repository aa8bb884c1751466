import { status } from '@grpc/grpc-js';
import { undecidedBy } from './grpc-payments.adapter.js';

const answered = (code: status, details: string) =>
  Object.assign(new Error(details), { code, details, metadata: {} });

describe('undecidedBy', () => {
  it.each([
    [status.PERMISSION_DENIED, 'caller-not-allowed'],
    [status.UNAUTHENTICATED, 'caller-unauthenticated'],
    [status.INVALID_ARGUMENT, 'request-refused'],
    [status.FAILED_PRECONDITION, 'request-refused'],
    [status.UNAVAILABLE, 'no-answer'],
    [status.DEADLINE_EXCEEDED, 'no-answer'],
    [status.INTERNAL, 'no-answer'],
  ])('payment answering %i is %s', (code, because) => {
    expect(undecidedBy(answered(code, 'x')).because).toBe(because);
  });

  it("names payment's answer for the order's record, its details cut at 200 characters", () => {
    const error = answered(status.PERMISSION_DENIED, 'd'.repeat(300));
    const undecided = undecidedBy(error);
    expect(undecided.answer).toBe(`PERMISSION_DENIED (${'d'.repeat(200)})`);
    expect(undecided.cause).toBe(error);
    expect(undecidedBy(answered(status.UNAVAILABLE, '')).answer).toBe('UNAVAILABLE');
  });

  it('anything but a gRPC status is no answer at all', () => {
    expect(undecidedBy(new TypeError('socket hang up'))).toMatchObject({
      because: 'no-answer',
      answer: 'nothing',
    });
  });
});
