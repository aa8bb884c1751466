// Logins fired and dropped (OWASP ASVS V2.2, resource exhaustion). Auth runs 2 argon2
// checks at once and keeps 16 waiting; past that a login is turned away (the gateway
// answers 503). An attacker who fires logins and drops them, or callers whose deadline
// passes while they wait, must not leave that queue full of work nobody waits for: a
// check still waiting when its call is cancelled or its deadline passes leaves the queue
// unrun (apps/auth/src/users/password-hasher.ts). Auth is called here as the gateway calls
// it (the gateway's certificate), since only a gRPC client can cancel a call or give it a
// short deadline. What ran is counted from auth's own `auth.login` records (one per check).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import * as grpc from '@grpc/grpc-js';
import { isServiceError, ServiceClient } from '@citadel/transport';
import { api, expectProblem, tokenFor } from './support/http.js';
import { e2eState } from './support/state.js';

/** Auth's bound: argon2 checks running at once plus checks waiting (apps/auth defaults). */
const RUNNING = 2;
const WAITING = 16;
const PATIENT_MS = 30_000;

const freshEmail = (label: string) => `${label}-${randomBytes(6).toString('hex')}@citadel.test`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Auth as the gateway reaches it: the gateway's mTLS certificate, one connection. */
function authAsGateway(): ServiceClient<'auth'> {
  const state = e2eState();
  return new ServiceClient('auth', `127.0.0.1:${state.ports.auth}`, {
    service: 'gateway',
    ca: fs.readFileSync(state.mesh.ca),
    key: fs.readFileSync(state.mesh.identities.gateway.key),
    cert: fs.readFileSync(state.mesh.identities.gateway.cert),
  });
}

interface SentLogin {
  email: string;
  /** The status the caller saw: `CANCELLED` for a call it cancelled. */
  status: Promise<grpc.status>;
  cancel(): void;
}

/** One wrong-password login for an account nobody has, with its own deadline. */
function sendLogin(auth: ServiceClient<'auth'>, label: string, deadlineMs: number): SentLogin {
  const email = freshEmail(label);
  const hangUp = new AbortController();
  const status = auth.rpc
    .login({ email, password: 'guess' }, { deadlineMs, signal: hangUp.signal })
    .then(
      () => grpc.status.OK,
      (error: unknown) => (isServiceError(error) ? error.code : grpc.status.UNKNOWN),
    );
  return { email, status, cancel: () => hangUp.abort() };
}

/** The emails among `emails` whose password auth checked: their `auth.login` records. */
async function checkedAmong(emails: string[]): Promise<string[]> {
  const response = await api('GET', '/v1/admin/audit?service=auth&action=auth.login&limit=200', {
    token: await tokenFor('ada'),
  });
  expect(response.status).toBe(200);
  const wanted = new Set(emails);
  return (response.json as { target: string }[])
    .map((record) => record.target)
    .filter((target) => wanted.has(target));
}

async function connected(auth: ServiceClient<'auth'>): Promise<void> {
  // A health check over the channel: it is up (TLS done) once one is answered.
  if (!(await auth.health(10_000))) throw new Error('auth did not answer over mTLS within 10 s');
}

describe('logins fired and dropped', () => {
  beforeAll(async () => {
    // Before any flood: the admin token for the audit records is a login too.
    await tokenFor('ada');
  });

  it('logins cancelled while queued never run, and the next wave is served, not turned away', async () => {
    const auth = authAsGateway();
    try {
      await connected(auth);
      // Past the bound: 2 run, 16 wait, the rest are turned away at once.
      const flood = Array.from({ length: 30 }, () => sendLogin(auth, 'dropped', PATIENT_MS));
      // The first login turned away says the queue is full (all answered and none: it never was).
      const queueFull = await Promise.any(
        flood.map(async (login) => {
          if ((await login.status) !== grpc.status.RESOURCE_EXHAUSTED) throw new Error('served');
        }),
      ).then(
        () => true,
        () => false,
      );
      expect(queueFull).toBe(true);
      // The attacker drops every login still pending: the running checks and the waiting ones.
      for (const login of flood) login.cancel();
      const statuses = await Promise.all(flood.map((login) => login.status));
      const cancelled = flood.filter((_, i) => statuses[i] === grpc.status.CANCELLED);
      expect(cancelled.length).toBeGreaterThanOrEqual(WAITING / 2);

      // The next wave fills the whole queue, once the cancellations have reached auth:
      // served, none turned away. Kept, the dropped checks would take ~16 × 60 ms / 2 to
      // drain, and most of this wave would meet a full queue.
      await sleep(100);
      const next = Array.from({ length: WAITING }, () => sendLogin(auth, 'next', PATIENT_MS));
      const nextStatuses = await Promise.all(next.map((login) => login.status));
      expect(nextStatuses).toEqual(next.map(() => grpc.status.UNAUTHENTICATED));
      expect(await checkedAmong(next.map((login) => login.email))).toHaveLength(WAITING);

      // Of the cancelled logins, only those already running when the cancellation arrived
      // were checked (the queue was full: kept, all 16 waiting ones would have run too).
      // How many started before it arrived is timing: 6 on a loaded 2-core VM.
      const ranAnyway = await checkedAmong(cancelled.map((login) => login.email));
      expect(ranAnyway.length).toBeLessThanOrEqual(RUNNING + WAITING / 2);
    } finally {
      auth.close();
    }
  }, 90_000);

  it('logins whose deadline passes while they wait never run', async () => {
    const auth = authAsGateway();
    try {
      await connected(auth);
      // Patient logins fill the queue ahead: 2 run, 12 wait.
      const ahead = Array.from({ length: RUNNING + 12 }, () =>
        sendLogin(auth, 'ahead', PATIENT_MS),
      );
      // Once the first has been answered the rest are in the queue; behind them, logins
      // with a 100 ms deadline: ≥ 5 rounds of argon2 ahead of them, they cannot start in time.
      await Promise.race(ahead.map((login) => login.status));
      const late = Array.from({ length: 4 }, () => sendLogin(auth, 'late', 100));

      expect(await Promise.all(late.map((login) => login.status))).toEqual(
        late.map(() => grpc.status.DEADLINE_EXCEEDED),
      );
      expect(await Promise.all(ahead.map((login) => login.status))).toEqual(
        ahead.map(() => grpc.status.UNAUTHENTICATED),
      );
      // Were their checks kept, they would have run after the patient ones, for nobody.
      await sleep(500);
      expect(await checkedAmong(ahead.map((login) => login.email))).toHaveLength(ahead.length);
      expect(await checkedAmong(late.map((login) => login.email))).toEqual([]);
    } finally {
      auth.close();
    }
  }, 90_000);
});

/** A wrong-password login through the gateway, from `localAddress`, that can hang up. */
interface HttpsLogin {
  email: string;
  /** Resolves once the TLS connection is up and the headers are out, the body not yet. */
  connected: Promise<void>;
  /** Sends the body: the gateway starts the login. */
  send(): void;
  /** The status the gateway answered, or undefined if the client hung up first. */
  status: Promise<number | undefined>;
  /** Whether the gateway has answered yet. */
  answered(): boolean;
  hangUp(): void;
}

function loginOverHttps(localAddress: string): HttpsLogin {
  const state = e2eState();
  const email = freshEmail('hung-up');
  const request = https.request(`${state.gatewayUrl}/v1/auth/login`, {
    method: 'POST',
    ca: fs.readFileSync(state.caFile),
    agent: false,
    localAddress,
    headers: { 'content-type': 'application/json' },
  });
  const connected = new Promise<void>((resolve, reject) => {
    request.once('socket', (socket) => socket.once('secureConnect', () => resolve()));
    request.once('error', reject);
  });
  let answered = false;
  const status = new Promise<number | undefined>((resolve) => {
    request.once('response', (response) => {
      answered = true;
      response.resume();
      resolve(response.statusCode);
    });
    request.once('close', () => resolve(undefined));
  });
  request.on('error', () => {}); // hung up on purpose
  request.flushHeaders();
  return {
    email,
    connected,
    status,
    answered: () => answered,
    send: () => request.end(JSON.stringify({ email, password: 'guess' })),
    hangUp: () => request.destroy(),
  };
}

describe('logins whose HTTP client hangs up', () => {
  it('the gateway cancels them at auth: they never run, and the next wave is served', async () => {
    // Fresh accounts, one login each, from addresses of their own (127.0.0.40-47): no
    // account lock or address budget is what turns anyone away here, only auth's queue.
    // More than auth's bound, connected first and sent at once, so they reach auth together
    // (not spread over their TLS handshakes, while the first checks already finish).
    const address = (i: number) => `127.0.0.${40 + (i % 8)}`;
    const logins = Array.from({ length: RUNNING + WAITING + 6 }, (_, i) =>
      loginOverHttps(address(i)),
    );
    await Promise.all(logins.map((login) => login.connected));
    for (const login of logins) login.send();
    // The first login turned away (503) says auth's queue is full; all answered and none
    // turned away, it never was.
    const queueFull = await Promise.any(
      logins.map(async (login) => {
        if ((await login.status) !== 503) throw new Error('not turned away');
      }),
    ).then(
      () => true,
      () => false,
    );
    expect(queueFull).toBe(true);
    // The client hangs up on every login still pending: the running checks and the waiting ones.
    const dropped = logins.filter((login) => !login.answered());
    expect(dropped.length).toBeGreaterThanOrEqual(WAITING / 2);
    for (const login of dropped) login.hangUp();

    // The next wave fills the queue again: each login is checked (401), none turned away
    // (503). Kept, the dropped checks would hold the queue for ~16 × 60 ms / 2 more, and
    // most of this wave would meet it full.
    await sleep(100);
    const next = await Promise.all(
      Array.from({ length: WAITING }, (_, i) =>
        api('POST', '/v1/auth/login', {
          body: { email: freshEmail('after-hang-up'), password: 'guess' },
          localAddress: `127.0.0.${50 + (i % 8)}`,
        }),
      ),
    );
    for (const answer of next) expectProblem(answer, 401);

    // Of the dropped logins, only those already running when the cancellation arrived were
    // checked (auth's own records); kept, all of them would have been.
    await sleep(500);
    const ranAnyway = await checkedAmong(dropped.map((login) => login.email));
    expect(ranAnyway.length).toBeLessThanOrEqual(RUNNING + WAITING / 2);
  }, 120_000);
});
