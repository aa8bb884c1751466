import { credentialKey, keyOfPresented } from '../session/credential-key.js';
import { rateLimitHeaders, RateLimits } from './rate-limits.js';

const credentialOf = (n: number) => `cit_at_${String(n).padStart(43, 'x')}`;
const token = (n: number) => `Bearer ${credentialOf(n)}`;
const nobodyKnown = { isKnown: () => false };
const everyoneKnown = { isKnown: () => true };

describe('RateLimits', () => {
  const settings = { perCredential: 3, anonymousPerIp: 2, windowSeconds: 60 };

  it('limits each verified credential on its own, wherever it comes from', async () => {
    const limits = new RateLimits(settings);
    const results = [];
    for (const ip of ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']) {
      results.push((await limits.consume(token(1), ip, everyoneKnown)).allowed);
    }
    expect(results).toEqual([true, true, true, false]);
    expect((await limits.consume(token(2), '10.0.0.4', everyoneKnown)).allowed).toBe(true);
  });

  it('charges every spelling of the Bearer scheme to the same credential', async () => {
    const limits = new RateLimits(settings);
    const spellings = ['Bearer', 'bearer', 'BEARER', 'Bearer'];
    const results = [];
    for (const scheme of spellings) {
      const charge = await limits.consume(
        `${scheme} ${credentialOf(3)}`,
        '10.0.0.1',
        everyoneKnown,
      );
      results.push([charge.policy, charge.allowed]);
    }
    expect(results).toEqual([
      ['credential', true],
      ['credential', true],
      ['credential', true],
      ['credential', false],
    ]);
  });

  it('limits anonymous traffic per address and says when to come back', async () => {
    const limits = new RateLimits(settings);
    await limits.consume(undefined, '10.0.0.1', nobodyKnown);
    await limits.consume('Basic abc', '10.0.0.1', nobodyKnown);
    const refused = await limits.consume(undefined, '10.0.0.1', nobodyKnown);
    expect(refused).toMatchObject({ allowed: false, policy: 'anonymous', remaining: 0 });
    expect(refused.resetSeconds).toBeGreaterThan(0);
    expect(refused.resetSeconds).toBeLessThanOrEqual(60);
    expect((await limits.consume(undefined, '10.0.0.2', nobodyKnown)).allowed).toBe(true);
  });

  it('counts IPv6 clients per /64', async () => {
    const limits = new RateLimits(settings);
    await limits.consume(undefined, '2001:db8:1:2::1', nobodyKnown);
    await limits.consume(undefined, '2001:db8:1:2:ffff::9', nobodyKnown);
    expect((await limits.consume(undefined, '2001:db8:1:2::77', nobodyKnown)).allowed).toBe(false);
    expect((await limits.consume(undefined, '2001:db8:1:3::1', nobodyKnown)).allowed).toBe(true);
  });

  it('charges a credential nobody verified to its address: fresh tokens buy no budget', async () => {
    const limits = new RateLimits(settings);
    const charges = [];
    for (let n = 10; n < 13; n++)
      charges.push(await limits.consume(token(n), '10.0.0.9', nobodyKnown));
    expect(charges.map((charge) => [charge.policy, charge.allowed])).toEqual([
      ['anonymous', true],
      ['anonymous', true],
      ['anonymous', false],
    ]);
    // A session already verified from that address keeps working.
    expect(await limits.consume(token(8), '10.0.0.9', everyoneKnown)).toMatchObject({
      policy: 'credential',
      allowed: true,
    });
  });

  it('charges a failed authentication to its address', async () => {
    const limits = new RateLimits(settings);
    await limits.chargeFailedAuthentication('10.0.0.5');
    await limits.chargeFailedAuthentication('10.0.0.5');
    expect((await limits.consume(undefined, '10.0.0.5', nobodyKnown)).allowed).toBe(false);
  });

  it('hands on the credential it read, keyed, so authentication hashes it only if it differs', async () => {
    const limits = new RateLimits(settings);
    const credential = credentialOf(9);
    for (const known of [everyoneKnown, nobodyKnown]) {
      const { presented } = await limits.consume(token(9), '10.0.0.8', known);
      expect(presented).toEqual({ credential, key: credentialKey(credential) });
    }
    expect((await limits.consume(undefined, '10.0.0.7', everyoneKnown)).presented).toBeUndefined();
    expect(
      (await limits.consume('Basic abc', '10.0.0.7', everyoneKnown)).presented,
    ).toBeUndefined();

    const request = { presentedCredential: { credential, key: 'from-the-limiter' as never } };
    expect(keyOfPresented(request, credential)).toBe('from-the-limiter');
    const other = credentialOf(10);
    expect(keyOfPresented(request, other)).toBe(credentialKey(other));
    expect(keyOfPresented({ presentedCredential: null }, other)).toBe(credentialKey(other));
  });
});

describe('rateLimitHeaders', () => {
  it('names the policy that applied and what is left of it (structured fields)', () => {
    expect(
      rateLimitHeaders({
        allowed: true,
        policy: 'credential',
        quota: 600,
        windowSeconds: 60,
        remaining: 599,
        resetSeconds: 42,
      }),
    ).toEqual({
      'ratelimit-policy': '"credential";q=600;w=60',
      ratelimit: '"credential";r=599;t=42',
    });
  });
});
