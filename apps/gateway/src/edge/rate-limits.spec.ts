import { HttpException } from '@nestjs/common';
import { credentialKey, keyOfPresented } from '../session/credential-key.js';
import { RateLimits } from './rate-limits.js';

const token = (n: number) => `Bearer cit_at_${String(n).padStart(43, 'x')}`;
const nobodyKnown = { isKnown: () => false };
const everyoneKnown = { isKnown: () => true };

async function statusOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
    return 200;
  } catch (error) {
    return (error as HttpException).getStatus();
  }
}

describe('RateLimits', () => {
  const settings = { perCredential: 3, anonymousPerIp: 2, windowSeconds: 60 };

  it('limits each credential on its own, wherever it comes from', async () => {
    const limits = new RateLimits(settings);
    const results = [];
    for (const ip of ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']) {
      results.push(await statusOf(limits.consume(token(1), ip, everyoneKnown)));
    }
    expect(results).toEqual([200, 200, 200, 429]);
    expect(await statusOf(limits.consume(token(2), '10.0.0.4', everyoneKnown))).toBe(200);
  });

  it('limits anonymous traffic per address and says when to come back', async () => {
    const limits = new RateLimits(settings);
    await limits.consume(undefined, '10.0.0.1', nobodyKnown);
    await limits.consume('Basic abc', '10.0.0.1', nobodyKnown);
    const refused = await limits.consume(undefined, '10.0.0.1', nobodyKnown).catch((e) => e);
    expect(refused).toBeInstanceOf(HttpException);
    expect((refused as HttpException).getStatus()).toBe(429);
    expect((refused as HttpException).getResponse()).toMatchObject({
      retryAfterSeconds: expect.any(Number),
    });
    expect(await statusOf(limits.consume(undefined, '10.0.0.2', nobodyKnown))).toBe(200);
  });

  it('buys no fresh buckets with made-up credentials once an address failed too often', async () => {
    const limits = new RateLimits(settings);
    await limits.chargeFailedAuthentication('10.0.0.9');
    await limits.chargeFailedAuthentication('10.0.0.9');
    expect(await statusOf(limits.consume(token(7), '10.0.0.9', nobodyKnown))).toBe(429);
    // A session already known good from that address keeps working.
    expect(await statusOf(limits.consume(token(8), '10.0.0.9', everyoneKnown))).toBe(200);
  });

  it('hands on the credential it charged, keyed, so authentication hashes it only if it differs', async () => {
    const limits = new RateLimits(settings);
    const credential = token(9).slice('Bearer '.length);
    const presented = await limits.consume(token(9), '10.0.0.8', everyoneKnown);
    expect(presented).toEqual({ credential, key: credentialKey(credential) });
    expect(await limits.consume(undefined, '10.0.0.8', everyoneKnown)).toBeUndefined();
    expect(await limits.consume('Basic abc', '10.0.0.8', everyoneKnown)).toBeUndefined();

    const request = { presentedCredential: { credential, key: 'from-the-limiter' as never } };
    expect(keyOfPresented(request, credential)).toBe('from-the-limiter');
    const other = token(10).slice('Bearer '.length);
    expect(keyOfPresented(request, other)).toBe(credentialKey(other));
    expect(keyOfPresented({ presentedCredential: null }, other)).toBe(credentialKey(other));
  });
});
