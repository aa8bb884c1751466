import { localRedis } from '@citadel/testing';
import { LoginRefused, LoginThrottle, type LoginAttempt } from './login-throttle.js';

const settings = {
  maxFailuresPerAccount: 5,
  maxFailuresPerIp: 50,
  maxFailuresPerDevice: 3,
  windowSeconds: 60,
};

/** One attempt as the controller makes it: admitted, checked (a tick later), settled. */
async function tryLogin(
  throttle: LoginThrottle,
  attempt: LoginAttempt,
  passwordIsRight = false,
): Promise<'checked' | 'refused'> {
  let admission;
  try {
    admission = await throttle.admit(attempt);
  } catch (error) {
    if (error instanceof LoginRefused) return 'refused';
    throw error;
  }
  await new Promise((resolve) => setTimeout(resolve, 5));
  await admission.settle(passwordIsRight ? 'ok' : 'failed');
  return 'checked';
}

const redis = await localRedis('the Redis login-throttle spec');

const checkedIn = (results: string[]) => results.filter((result) => result === 'checked').length;

/** Sends `count` attempts at once, sequentially `rounds` times; counts the checks. */
async function attack(
  throttle: LoginThrottle,
  attempt: (i: number) => LoginAttempt,
  count: number,
  rounds = 3,
): Promise<number> {
  let checks = 0;
  for (let round = 0; round < rounds; round++) {
    const results = await Promise.all(
      Array.from({ length: count }, (_, i) => tryLogin(throttle, attempt(round * count + i))),
    );
    checks += checkedIn(results);
  }
  return checks;
}

describe('LoginThrottle', () => {
  it('lets at most 5 checks of one account through, however many attempts arrive at once', async () => {
    const throttle = new LoginThrottle(settings);
    const checks = await attack(
      throttle,
      () => ({ email: 'mallory@x.test', address: '10.0.0.1' }),
      60,
      8,
    );
    expect(checks).toBe(5);
  }, 20_000);

  it('counts the account, not the address: 60 addresses at once still get 5 checks', async () => {
    const throttle = new LoginThrottle(settings);
    const checks = await attack(
      throttle,
      (i) => ({ email: 'Mallory@X.test ', address: `10.0.${i % 60}.1` }),
      60,
      8,
    );
    expect(checks).toBe(5);
  }, 20_000);

  it('keeps one attempt per account in flight; the next waits its turn', async () => {
    const throttle = new LoginThrottle(settings);
    const first = await throttle.admit({ email: 'eve@x.test', address: '10.0.0.1' });
    let secondAdmitted = false;
    const second = throttle.admit({ email: 'eve@x.test', address: '10.0.0.2' }).then((a) => {
      secondAdmitted = true;
      return a;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(secondAdmitted).toBe(false);
    await first.settle('failed');
    await (await second).settle('failed');
    expect(secondAdmitted).toBe(true);
  });

  it('refuses an attempt whose turn does not come within the wait', async () => {
    const throttle = new LoginThrottle({ ...settings, lockWaitMs: 100 });
    const first = await throttle.admit({ email: 'eve@x.test', address: '10.0.0.1' });
    const second = await throttle
      .admit({ email: 'eve@x.test', address: '10.0.0.2' })
      .catch((e) => e);
    expect(second).toBeInstanceOf(LoginRefused);
    expect(second).toMatchObject({ reason: 'another login in flight', retryAfterSeconds: 1 });
    await first.settle('failed');
    const third = await throttle.admit({ email: 'eve@x.test', address: '10.0.0.2' });
    await third.settle('failed');
  });

  it('stops one address after 50 failed checks, across accounts, and refunds good ones', async () => {
    const throttle = new LoginThrottle(settings);
    const spray = await Promise.all(
      Array.from({ length: 80 }, (_, i) =>
        tryLogin(throttle, { email: `user${i}@x.test`, address: '10.0.0.9' }),
      ),
    );
    expect(checkedIn(spray)).toBe(50);
    expect(await tryLogin(throttle, { email: 'new@x.test', address: '10.0.0.9' })).toBe('refused');

    const honest = new LoginThrottle(settings);
    for (let i = 0; i < 60; i++) {
      expect(await tryLogin(honest, { email: `u${i}@x.test`, address: '10.0.0.7' }, true)).toBe(
        'checked',
      );
    }
  }, 20_000);

  it('a good login gives its point back, but does not clear earlier failures', async () => {
    const throttle = new LoginThrottle(settings);
    const bob = { email: 'bob@x.test', address: '10.0.0.1' };
    for (let i = 0; i < 4; i++) expect(await tryLogin(throttle, bob)).toBe('checked');
    expect(await tryLogin(throttle, bob, true)).toBe('checked');
    expect(await tryLogin(throttle, bob)).toBe('checked');
    expect(await tryLogin(throttle, bob, true)).toBe('refused');
  }, 20_000);

  it('an attempt auth never checked costs nothing', async () => {
    const throttle = new LoginThrottle(settings);
    for (let i = 0; i < 10; i++) {
      const admission = await throttle.admit({ email: 'carol@x.test', address: '10.0.0.1' });
      await admission.settle('unchecked');
    }
    expect(await tryLogin(throttle, { email: 'carol@x.test', address: '10.0.0.1' })).toBe(
      'checked',
    );
  });

  it('a known device logs in while its account is locked, within its own small budget', async () => {
    const throttle = new LoginThrottle(settings);
    for (let i = 0; i < 5; i++) {
      await tryLogin(throttle, { email: 'alice@x.test', address: `10.1.0.${i}` });
    }
    expect(await tryLogin(throttle, { email: 'alice@x.test', address: '10.2.0.1' })).toBe(
      'refused',
    );
    const phone = { email: 'alice@x.test', address: '10.3.0.1', device: 'phone-1' };
    expect(await tryLogin(throttle, phone, true)).toBe('checked');

    // A stolen cookie: 3 more guesses, however they are timed, then the device is locked too.
    const thief = await attack(throttle, (i) => ({ ...phone, address: `10.4.0.${i}` }), 20, 5);
    expect(thief).toBe(3);
    expect(await tryLogin(throttle, phone, true)).toBe('refused');
  }, 20_000);

  it('records the first refusal per account and address in a window, not every one', async () => {
    const throttle = new LoginThrottle({ ...settings, maxFailuresPerAccount: 1 });
    const attempt = { email: 'dan@x.test', address: '10.0.0.1' };
    await tryLogin(throttle, attempt);
    const refusals = await Promise.all(
      Array.from({ length: 20 }, () =>
        throttle.admit(attempt).then(
          () => undefined,
          (e: LoginRefused) => e,
        ),
      ),
    );
    expect(refusals.filter((refusal) => refusal?.worthRecording)).toHaveLength(1);
  });

  it('slows an account down from its third failure on', async () => {
    const throttle = new LoginThrottle(settings);
    const attempt = { email: 'slow@x.test', address: '10.0.0.1' };
    await tryLogin(throttle, attempt);
    await tryLogin(throttle, attempt);
    const started = performance.now();
    await tryLogin(throttle, attempt);
    expect(performance.now() - started).toBeGreaterThanOrEqual(240);
  });

  (redis ? describe : describe.skip)('with Redis (every replica shares counters and locks)', () => {
    afterAll(() => redis?.disconnect());

    it('two replicas at once still let at most 5 checks of one account through', async () => {
      const keyPrefix = `login-throttle-spec-${process.pid}-${Date.now()}`;
      const replicas = [
        new LoginThrottle({ ...settings, keyPrefix }, redis),
        new LoginThrottle({ ...settings, keyPrefix }, redis),
      ];
      let checks = 0;
      for (let round = 0; round < 8; round++) {
        const results = await Promise.all(
          Array.from({ length: 60 }, (_, i) =>
            tryLogin(replicas[i % 2]!, { email: 'mallory@x.test', address: `10.5.0.${i}` }),
          ),
        );
        checks += checkedIn(results);
      }
      expect(checks).toBe(5);
    }, 20_000);
  });
});
