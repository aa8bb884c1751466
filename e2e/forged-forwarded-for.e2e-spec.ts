// Behind a proxy, the client address every per-address limit counts comes from
// `X-Forwarded-For`, a header any client can write. The gateway believes it only from the
// hops in TRUSTED_PROXIES, read right to left (the right-most hop not trusted is the
// client); from anywhere else, the socket's peer is the client whatever the header says.
// IPv6 clients are counted per /64. (TRUSTED_PROXIES unset: rate-limits.e2e-spec.ts.)
import { api, expectProblem, type ApiResponse } from './support/http.js';
import { bootOwnSystem } from './support/own-system.js';

const ANONYMOUS_PER_IP = 4;
/** The proxy: the only address trusted to say who its client is. */
const PROXY = '127.0.0.1';

/** One anonymous request from `localAddress`, forwarded for `forwardedFor`. */
const products = (localAddress: string, forwardedFor: string) =>
  api('GET', '/v1/products', { headers: { 'x-forwarded-for': forwardedFor }, localAddress });

/** `RateLimit`'s remaining requests. */
const remainingOf = (response: ApiResponse) =>
  Number(/;r=(\d+);/.exec(String(response.headers['ratelimit']))?.[1]);

describe('forged X-Forwarded-For', () => {
  let own: Awaited<ReturnType<typeof bootOwnSystem>>;
  beforeAll(async () => {
    own = await bootOwnSystem({
      env: {
        GATEWAY_RATE_LIMIT_ANONYMOUS_PER_IP: String(ANONYMOUS_PER_IP),
        GATEWAY_RATE_LIMIT_WINDOW_SECONDS: '60',
        TRUSTED_PROXIES: `${PROXY}/32`,
      },
    });
  }, 90_000);
  afterAll(async () => {
    await own?.dispose();
  });

  it('believes X-Forwarded-For from the trusted proxy only, and then its right-most untrusted hop', async () => {
    const spent: number[] = [];
    for (let i = 0; i < ANONYMOUS_PER_IP; i++) {
      spent.push(remainingOf(await products(PROXY, '198.51.100.7')));
    }
    expect(spent).toEqual([3, 2, 1, 0]);
    // The client prepends forged hops: the proxy appended the client's real address last.
    expectProblem(await products(PROXY, '203.0.113.66, 10.9.9.9, 198.51.100.7'), 429);
    // A chain of trusted proxies is walked through to the first untrusted hop.
    expectProblem(await products(PROXY, `198.51.100.7, ${PROXY}`), 429);
    // Another client behind the same proxy has its own budget, and so has the proxy itself.
    const other = await products(PROXY, '198.51.100.8');
    expect(other.status).toBe(200);
    expect(remainingOf(other)).toBe(ANONYMOUS_PER_IP - 1);
    expect((await api('GET', '/v1/products', { localAddress: PROXY })).status).toBe(200);

    // From an address that is not a trusted proxy, the header is ignored.
    const seen: number[] = [];
    for (let i = 0; i <= ANONYMOUS_PER_IP; i++) {
      seen.push((await products('127.0.0.2', `198.51.100.${20 + i}`)).status);
    }
    expect(seen).toEqual([...Array(ANONYMOUS_PER_IP).fill(200), 429]);
  });

  it('counts an IPv6 client by its /64: fresh addresses in one /64 buy no budget', async () => {
    const seen: number[] = [];
    for (let i = 0; i <= ANONYMOUS_PER_IP; i++) {
      seen.push((await products(PROXY, `2001:db8:7:1::${(i + 1).toString(16)}`)).status);
    }
    expect(seen).toEqual([...Array(ANONYMOUS_PER_IP).fill(200), 429]);
    expectProblem(await products(PROXY, '2001:db8:7:1:ffff:ffff:ffff:ffff'), 429);
    expect((await products(PROXY, '2001:db8:7:2::1')).status).toBe(200);
  });
});
