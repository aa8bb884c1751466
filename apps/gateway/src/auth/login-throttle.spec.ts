import { HttpException } from '@nestjs/common';
import { LoginThrottle } from './login-throttle.js';

describe('LoginThrottle', () => {
  const settings = { maxFailuresPerAccount: 5, maxFailuresPerIp: 50, windowSeconds: 60 };

  it('slows an account down as its failures grow, then refuses it from anywhere', async () => {
    const throttle = new LoginThrottle(settings);
    const elapsed = async (ip: string) => {
      const started = performance.now();
      await throttle.assertAllowed('Mallory@Example.test', ip);
      return performance.now() - started;
    };
    await throttle.recordFailure('mallory@example.test', '10.0.0.1');
    expect(await elapsed('10.0.0.1')).toBeLessThan(200);
    await throttle.recordFailure('mallory@example.test', '10.0.0.1');
    expect(await elapsed('10.0.0.2')).toBeGreaterThanOrEqual(240);
    await throttle.recordFailure('mallory@example.test', '10.0.0.2');
    expect(await elapsed('10.0.0.3')).toBeGreaterThanOrEqual(490);
    await throttle.recordFailure('mallory@example.test', '10.0.0.3');
    await throttle.recordFailure('mallory@example.test', '10.0.0.4');
    const refused = await throttle
      .assertAllowed('mallory@example.test', '10.9.9.9')
      .catch((e) => e);
    expect(refused).toBeInstanceOf(HttpException);
    expect((refused as HttpException).getStatus()).toBe(429);
  });

  it('lets a good login clear the account', async () => {
    const throttle = new LoginThrottle(settings);
    for (let i = 0; i < 4; i++) await throttle.recordFailure('bob@example.test', '10.0.0.1');
    await throttle.recordSuccess('bob@example.test');
    await expect(throttle.assertAllowed('bob@example.test', '10.0.0.1')).resolves.toBeUndefined();
  });
});
