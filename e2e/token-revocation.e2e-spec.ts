// Opaque tokens are revocable at once: logout and account deletion kill them, even
// though the gateway caches exchanges and services cache verified JWTs.
import { api, expectProblem, tokenFor, userIdOf } from './support/http.js';

describe('token revocation', () => {
  it('logout kills the token at once, while another session of the same user lives on', async () => {
    const session = await tokenFor('erin', true);
    const other = await tokenFor('erin', true);
    expect((await api('GET', '/v1/orders', { token: session })).status).toBe(200); // exchange now cached
    expect((await api('POST', '/v1/auth/logout', { token: session })).status).toBe(204);
    expectProblem(await api('GET', '/v1/orders', { token: session }), 401);
    expectProblem(await api('GET', '/v1/me', { token: session }), 401);
    expect((await api('GET', '/v1/me', { token: other })).status).toBe(200);
  });

  it('an admin deleting a customer kills that customer’s tokens at once', async () => {
    const dave = await tokenFor('dave', true);
    const daveId = await userIdOf('dave');
    expect((await api('GET', '/v1/orders', { token: dave })).status).toBe(200);
    expect(
      (await api('DELETE', `/v1/customers/${daveId}`, { token: await tokenFor('ada') })).status,
    ).toBe(204);
    expectProblem(await api('GET', '/v1/orders', { token: dave }), 401);
    const customers = await api('GET', '/v1/customers', { token: await tokenFor('sam') });
    expect(customers.json.map((customer: { email: string }) => customer.email)).not.toContain(
      'dave@citadel.test',
    );
  });

  it('wrong password and unknown user get the same 401', async () => {
    const wrong = await api('POST', '/v1/auth/login', {
      body: { email: 'alice@citadel.test', password: 'not-her-password' },
    });
    const unknown = await api('POST', '/v1/auth/login', {
      body: { email: 'nobody@citadel.test', password: 'whatever' },
    });
    expectProblem(wrong, 401);
    expectProblem(unknown, 401);
    expect({ ...wrong.json, trace_id: '' }).toEqual({ ...unknown.json, trace_id: '' });
  });

  it('an access token is 256 random bits behind a recognisable prefix', async () => {
    const token = await tokenFor('alice', true);
    expect(token).toMatch(/^cit_at_[A-Za-z0-9_-]{43}$/);
  });
});
