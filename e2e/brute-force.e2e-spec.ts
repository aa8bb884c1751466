// Login brute force: failures are counted per account and per address;
// the 6th wrong password in a minute for one account is refused even from a new address,
// while other accounts log in as usual.
import { e2eState } from './support/state.js';
import { api, expectProblem } from './support/http.js';

const userNamed = (name: string) =>
  e2eState().users.find((user) => user.email.startsWith(`${name}@`))!;

describe('login brute force', () => {
  it('the 6th wrong password for one account is a 429 with Retry-After, even from a new IP', async () => {
    const target = userNamed('frank');
    for (let attempt = 1; attempt <= 5; attempt++) {
      const wrong = await api('POST', '/v1/auth/login', {
        body: { email: target.email, password: `guess-${attempt}` },
      });
      expectProblem(wrong, 401);
    }
    const sixth = await api('POST', '/v1/auth/login', {
      body: { email: target.email.toUpperCase(), password: 'guess-6' },
      localAddress: '127.0.0.2',
    });
    expectProblem(sixth, 429);
    expect(Number(sixth.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(sixth.headers['retry-after'])).toBeLessThanOrEqual(60);

    // Locked means locked: the right password waits for the window too.
    const right = await api('POST', '/v1/auth/login', {
      body: { email: target.email, password: target.password },
      localAddress: '127.0.0.3',
    });
    expectProblem(right, 429);
  });

  it('another account still logs in, from the same address', async () => {
    const other = userNamed('bob');
    const response = await api('POST', '/v1/auth/login', {
      body: { email: other.email, password: other.password },
    });
    expect(response.status).toBe(200);
    expect(response.json.access_token).toMatch(/^cit_at_/);
  });
});
