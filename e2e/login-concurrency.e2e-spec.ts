// Logins against a concurrent, patient attacker (OWASP ASVS V2.2, the
// Authentication and Credential Stuffing cheat sheets). Attempts are sent at once, from one
// address and from many, and what reached auth's password check is counted from auth's
// own `auth.login` audit records (one per check), not from status codes. The owner of an
// attacked account still logs in from her own device (device cookie), and a flood of logins
// is turned away by auth's bounded argon2 queue (503 + Retry-After) while token exchange
// keeps answering.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import { api, expectProblem, tokenFor, type ApiResponse } from './support/http.js';
import { e2eState } from './support/state.js';

const MAX_CHECKS_PER_ACCOUNT = 5;

/** An account nobody has: unknown and known accounts get one answer and one treatment. */
const freshEmail = (label: string) => `${label}-${randomBytes(6).toString('hex')}@citadel.test`;

const login = (
  email: string,
  password: string,
  localAddress: string,
  headers: Record<string, string> = {},
) => api('POST', '/v1/auth/login', { body: { email, password }, localAddress, headers });

/** The password checks auth ran for `email`: its `auth.login` records. */
async function passwordChecksOf(email: string): Promise<{ outcome: string }[]> {
  const response = await api('GET', '/v1/admin/audit?service=auth&action=auth.login&limit=200', {
    token: await tokenFor('ada'),
  });
  expect(response.status).toBe(200);
  return (response.json as { target: string; outcome: string }[]).filter(
    (record) => record.target === email,
  );
}

/**
 * `waves` bursts of `perWave` wrong-password logins sent at once, each burst after the
 * previous one answered (a patient attacker); every other attempt carries a made-up
 * bearer token, which must buy nothing on the login route.
 */
async function attack(
  email: string,
  addressOf: (i: number) => string,
  { waves = 7, perWave = 60, headers = {} as Record<string, string> } = {},
): Promise<ApiResponse[]> {
  const answers: ApiResponse[] = [];
  for (let wave = 0; wave < waves; wave++) {
    answers.push(
      ...(await Promise.all(
        Array.from({ length: perWave }, (_, i) =>
          login(email, `guess-${wave}-${i}`, addressOf(i), {
            ...headers,
            ...(i % 2
              ? { authorization: `Bearer cit_at_${randomBytes(32).toString('base64url')}` }
              : {}),
          }),
        ),
      )),
    );
  }
  return answers;
}

/** One request over `agent`'s kept-alive connections from `localAddress`. */
function send(
  agent: https.Agent,
  method: string,
  path: string,
  localAddress: string,
  body?: unknown,
): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      `${e2eState().gatewayUrl}${path}`,
      {
        method,
        agent,
        localAddress,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text,
            json: text ? JSON.parse(text) : undefined,
          });
        });
      },
    );
    request.on('error', reject);
    request.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

function expectOnlyRefusalsAndFailures(answers: ApiResponse[]): void {
  for (const answer of answers) {
    expect([401, 429]).toContain(answer.status);
    if (answer.status === 429) {
      expectProblem(answer, 429);
      expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
    }
  }
}

describe('logins under a concurrent attacker', () => {
  it('60 logins at once for one account from one address reach the password check at most 5 times', async () => {
    const email = freshEmail('burst');
    const answers = await attack(email, () => '127.0.0.11');
    expectOnlyRefusalsAndFailures(answers);
    const checks = await passwordChecksOf(email);
    expect(checks.length).toBeGreaterThan(0);
    expect(checks.length).toBeLessThanOrEqual(MAX_CHECKS_PER_ACCOUNT);
    expect(answers.filter((answer) => answer.status === 401).length).toBe(checks.length);
  }, 60_000);

  it('from eight addresses at once (127.0.0.2 ... 127.0.0.9): still at most 5 checks', async () => {
    const email = freshEmail('spread');
    const answers = await attack(email, (i) => `127.0.0.${2 + (i % 8)}`);
    expectOnlyRefusalsAndFailures(answers);
    const checks = await passwordChecksOf(email);
    expect(checks.length).toBeGreaterThan(0);
    expect(checks.length).toBeLessThanOrEqual(MAX_CHECKS_PER_ACCOUNT);
  }, 60_000);

  it('ivy logs in on her own device while her account is under attack; a new client is refused', async () => {
    const ivy = e2eState().users.find((user) => user.email.startsWith('ivy@'))!;
    // Before the attack: her login gives her device a cookie, and no token in the body.
    const first = await login(ivy.email, ivy.password, '127.0.0.12');
    expect(first.status).toBe(200);
    expect(Object.keys(first.json).sort()).toEqual(['access_token', 'expires_in', 'token_type']);
    const setCookie = [first.headers['set-cookie'] ?? []].flat();
    expect(setCookie).toHaveLength(1);
    const cookieLine = setCookie[0]!;
    expect(cookieLine).toMatch(/^__Secure-citadel-device=[\w-]+\.[\w-]+\.[\w-]+;/);
    for (const attribute of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/v1/auth']) {
      expect(cookieLine.split('; ')).toContain(attribute);
    }
    expect(Number(/Max-Age=(\d+)/.exec(cookieLine)?.[1])).toBeGreaterThan(30 * 24 * 3600);
    const ivysDevice = { cookie: cookieLine.split(';')[0]! };

    // The attacker holds a device cookie too, for an account of its own: no use on hers.
    const own = await login(
      e2eState().users.find((user) => user.email.startsWith('bob@'))!.email,
      e2eState().users.find((user) => user.email.startsWith('bob@'))!.password,
      '127.0.0.13',
    );
    const attackersDevice = { cookie: [own.headers['set-cookie']].flat()[0]!.split(';')[0]! };

    const [answers, during] = await Promise.all([
      attack(ivy.email, (i) => `127.0.0.${13 + (i % 6)}`, { headers: attackersDevice }),
      // Her own login, in the middle of the attack.
      new Promise<ApiResponse>((resolve, reject) =>
        setTimeout(
          () => login(ivy.email, ivy.password, '127.0.0.12', ivysDevice).then(resolve, reject),
          200,
        ),
      ),
    ]);
    expectOnlyRefusalsAndFailures(answers);
    expect(during.status).toBe(200);

    const denied = (await passwordChecksOf(ivy.email)).filter((c) => c.outcome === 'denied');
    expect(denied.length).toBeGreaterThan(0);
    expect(denied.length).toBeLessThanOrEqual(MAX_CHECKS_PER_ACCOUNT);

    // After it: locked for clients it does not know, open for her device.
    const stranger = await login(ivy.email, ivy.password, '127.0.0.19');
    expectProblem(stranger, 429);
    expect(Number(stranger.headers['retry-after'])).toBeGreaterThan(0);
    const after = await login(ivy.email, ivy.password, '127.0.0.12', ivysDevice);
    expect(after.status).toBe(200);
    expect(after.json.access_token).toMatch(/^cit_at_/);
  }, 90_000);

  it('a flood of logins past auth’s argon2 queue gets 503 + Retry-After; token exchange still answers', async () => {
    // A fresh token: its exchange misses the gateway's cache and goes to auth.
    const token = await tokenFor('erin', true);
    // 64 logins arrive together over connections opened beforehand (a flood of TLS
    // handshakes would only measure this 2-core machine): past auth's queue of 2 + 16.
    const addresses = Array.from({ length: 64 }, (_, i) => `127.0.0.${21 + (i % 8)}`);
    const agent = new https.Agent({ ca: fs.readFileSync(e2eState().caFile), keepAlive: true });
    try {
      await Promise.all(addresses.map((address) => send(agent, 'GET', '/healthz', address)));
      let reportBusy!: () => void;
      const firstBusy = new Promise<void>((resolve) => (reportBusy = resolve));
      const flood = Promise.all(
        addresses.map(async (address) => {
          const answer = await send(agent, 'POST', '/v1/auth/login', address, {
            email: freshEmail('flood'),
            password: 'guess',
          });
          if (answer.status === 503) reportBusy();
          return answer;
        }),
      );
      // The exchange runs while auth's queue is full: right after the first 503.
      await Promise.race([firstBusy, flood]);
      const started = performance.now();
      const me = await api('GET', '/v1/me', { token });
      const exchangeMs = performance.now() - started;
      const answers = await flood;

      expect(me.status).toBe(200);
      // Within the gateway's deadline for the exchange call (5 s); ~0.1 s on a 2-core VM.
      expect(exchangeMs).toBeLessThan(5_000);
      const busy = answers.filter((answer) => answer.status === 503);
      expect(busy.length).toBeGreaterThan(0);
      for (const answer of busy) {
        expectProblem(answer, 503);
        expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
      }
      // Everything else was checked and failed: nothing let in, nothing timed out.
      for (const answer of answers) expect([401, 503]).toContain(answer.status);
    } finally {
      agent.destroy();
    }
  }, 90_000);
});
