import { KeyRing } from './key-ring.js';
import { storedSigningKey } from './stored-signing-key.fixture.js';

describe('KeyRing rotation', () => {
  let now: number;
  const options = { publishLeadMs: 5_000, retainMs: 65_000, now: () => now };

  beforeEach(() => {
    now = 1_000_000;
  });

  it('publishes only public halves', async () => {
    const ring = await KeyRing.load([await storedSigningKey()], options);
    const [jwk] = ring.jwks();
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(jwk).not.toHaveProperty('d');
  });

  it('publishes a new key before it signs, and keeps the old one until its tokens expired', async () => {
    const first = await storedSigningKey();
    const second = await storedSigningKey();
    const ring = await KeyRing.load([first], options);
    expect(await ring.adopt([second, first])).toEqual([second.kid]);

    // Published at once, not yet signing.
    expect(ring.jwks().map((key) => key.kid)).toEqual([second.kid, first.kid]);
    expect(ring.current().kid).toBe(first.kid);

    now += 5_000;
    expect(ring.current().kid).toBe(second.kid);

    // The old key's last tokens live up to retainMs after the switch.
    now += 64_999;
    expect(ring.jwks().map((key) => key.kid)).toEqual([second.kid, first.kid]);
    now += 1;
    expect(ring.jwks().map((key) => key.kid)).toEqual([second.kid]);
  });

  it('adopting the same version twice changes nothing', async () => {
    const first = await storedSigningKey();
    const ring = await KeyRing.load([first], options);
    expect(await ring.adopt([first])).toEqual([]);
    expect(ring.jwks()).toHaveLength(1);
  });

  it('refuses to start with no key at all', async () => {
    await expect(KeyRing.load([], options)).rejects.toThrow(/no key/);
  });
});
