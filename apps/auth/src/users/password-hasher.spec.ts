import { jest } from '@jest/globals';
import argon2 from 'argon2';
import { status } from '@grpc/grpc-js';
import { grpcFailureOf } from '@citadel/transport';
import { PasswordCheckAbandoned, PasswordChecksBusy, PasswordHasher } from './password-hasher.js';

/** How a check ended, without throwing: `checked`, `busy` or `abandoned`. */
const outcomeOf = (check: Promise<boolean>): Promise<string> =>
  check.then(
    () => 'checked',
    (error: unknown) =>
      error instanceof PasswordChecksBusy
        ? 'busy'
        : error instanceof PasswordCheckAbandoned
          ? 'abandoned'
          : 'error',
  );

describe('PasswordHasher', () => {
  it('a turned-away check is RESOURCE_EXHAUSTED to the caller (the gateway counts nothing for it)', () => {
    expect(grpcFailureOf(new PasswordChecksBusy(), () => undefined)).toEqual({
      code: status.RESOURCE_EXHAUSTED,
      message: 'too many logins in progress',
    });
  });

  let stored: string;
  beforeAll(async () => {
    stored = await new PasswordHasher().hash('s3cret');
  });

  it('verifies the right password only, and an unknown user never', async () => {
    const hasher = new PasswordHasher();
    expect(await hasher.verify(stored, 's3cret')).toBe(true);
    expect(await hasher.verify(stored, 'wrong')).toBe(false);
    expect(await hasher.verify(undefined, 's3cret')).toBe(false);
  });

  it('runs a bounded number of checks, queues a bounded number, and turns the rest away', async () => {
    const hasher = new PasswordHasher({ running: 2, waiting: 3 });
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, () => outcomeOf(hasher.verify(stored, 'wrong'))),
    );
    expect(outcomes.filter((outcome) => outcome === 'checked')).toHaveLength(5);
    expect(outcomes.filter((outcome) => outcome === 'busy')).toHaveLength(7);
    // Once the queue drains, checks run again.
    expect(await hasher.verify(stored, 's3cret')).toBe(true);
  });

  describe('checks nobody waits for any more', () => {
    let argon2Verify: jest.SpiedFunction<typeof argon2.verify>;
    /** The passwords argon2 was actually run on. */
    const computed = () => argon2Verify.mock.calls.map(([, password]) => password);
    beforeEach(() => {
      argon2Verify = jest.spyOn(argon2, 'verify');
    });
    afterEach(() => argon2Verify.mockRestore());

    it('leave the queue when their signal aborts, free their places, and never run argon2', async () => {
      const hasher = new PasswordHasher({ running: 1, waiting: 2 });
      const running = hasher.verify(stored, 'running');
      let runningSettled = false;
      void running.finally(() => (runningSettled = true));
      const callers = [new AbortController(), new AbortController()];
      const dropped = callers.map((caller, i) =>
        outcomeOf(hasher.verify(stored, `dropped-${i}`, { signal: caller.signal })),
      );
      // The queue is full of them.
      expect(await outcomeOf(hasher.verify(stored, 'turned-away'))).toBe('busy');

      for (const caller of callers) caller.abort();
      expect(await Promise.all(dropped)).toEqual(['abandoned', 'abandoned']);
      // They left at once, not when the running check handed its slot on.
      expect(runningSettled).toBe(false);

      // Their two places are free again, and no more than those: the bound counts live waiters.
      const next = [hasher.verify(stored, 's3cret'), hasher.verify(stored, 'next-wrong')];
      expect(await outcomeOf(hasher.verify(stored, 'turned-away-again'))).toBe('busy');
      expect(await Promise.all([running, ...next])).toEqual([false, true, false]);

      expect(computed()).toEqual(['running', 's3cret', 'next-wrong']);
    });

    it('are refused before queueing when their signal has already aborted', async () => {
      const hasher = new PasswordHasher({ running: 1, waiting: 1 });
      const caller = new AbortController();
      caller.abort();
      await expect(
        hasher.verify(stored, 's3cret', { signal: caller.signal }),
      ).rejects.toBeInstanceOf(PasswordCheckAbandoned);
      expect(computed()).toEqual([]);
      // Nothing is held: a check runs and another one waits.
      expect(
        await Promise.all([hasher.verify(stored, 's3cret'), hasher.verify(stored, 'x')]),
      ).toEqual([true, false]);
    });

    it('leave when a deadline passes while they wait (AbortSignal.timeout)', async () => {
      const hasher = new PasswordHasher({ running: 1, waiting: 1 });
      const running = hasher.verify(stored, 'running');
      const late = outcomeOf(hasher.verify(stored, 'late', { signal: AbortSignal.timeout(1) }));
      expect(await late).toBe('abandoned');
      await running;
      expect(computed()).toEqual(['running']);
    });

    it('still finish once running: argon2 cannot be interrupted, and the answer stands', async () => {
      const hasher = new PasswordHasher({ running: 1, waiting: 1 });
      const caller = new AbortController();
      const running = hasher.verify(stored, 's3cret', { signal: caller.signal });
      const waiting = hasher.verify(stored, 'waiting');
      caller.abort();
      expect(await running).toBe(true);
      // Its slot was handed on as usual.
      expect(await waiting).toBe(false);
      expect(computed()).toEqual(['s3cret', 'waiting']);
    });
  });
});
