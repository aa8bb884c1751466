// Hundreds of hostile requests (forged tokens, broken and oversized bodies, SQL,
// traversal, header injection, wrong types, huge headers, odd methods and protocol abuse)
// all get a 4xx application/problem+json with a trace id, the security headers, and not a
// byte of internal detail. The corpus is data: e2e/corpus/hostile-requests.ts.
import { generateKeyPair, SignJWT } from 'jose';
import { hostileRequests, type Caller, type HostileRequest } from './corpus/hostile-requests.js';
import { tokenFor } from './support/http.js';
import { internalJwtFor } from './support/grpc.js';
import { sendHttps, sendRaw, type RawResponse } from './support/raw-https.js';

/**
 * The corpus comes from its own loopback block, a fresh address every REQUESTS_PER_ADDRESS
 * requests: its refusals fill no other test's rate-limit bucket, and the edge's flood
 * limits (proved elsewhere) do not hide its answers to the input. A 429 is still a valid
 * answer to any entry (a 4xx problem), never a required one.
 */
const attackerAddress = (index: number) => `127.0.5.${1 + Math.floor(index / 40)}`;

/** What an answer must never carry: stack frames, paths, SQL, gRPC or service internals. */
const INTERNALS = [
  /\bat \S+ \(|\bat (async )?\S+:\d+:\d+/, // stack frames
  /node_modules|\/work\/|\/home\/|\/srv\/|\/usr\/|\/tmp\/|[A-Z]:\\/,
  /\.(ts|js|mjs|cjs):\d+/,
  /\b\w*Error:|\bstack\b|TypeError|RangeError|ReferenceError/,
  /\b(SELECT|INSERT|UPDATE|DELETE)\b[^"]*\b(FROM|INTO|SET)\b|\bDROP TABLE\b|\bUNION SELECT\b/i,
  /syntax error at|relation "|SQLSTATE|pg_sleep|postgres|pglite|kysely/i,
  /grpc|\bUNAVAILABLE\b|\bDEADLINE_EXCEEDED\b|citadel\.(auth|order|payment)\.v1|spiffe:/i,
  /127\.0\.0\.\d+:\d+|localhost:\d+|:5005\d\b|vault/i,
  /<script|Set-Cookie|X-Injected/i,
];

describe('hostile input at the edge: every answer a problem+json 4xx', () => {
  const tokens: Record<Exclude<Caller, 'anonymous'>, string> = { customer: '', admin: '' };
  let corpus: HostileRequest[] = [];

  beforeAll(async () => {
    tokens.customer = await tokenFor('alice');
    tokens.admin = await tokenFor('ada');
    const internalJwt = await internalJwtFor(tokens.customer, 'order');
    const claims = JSON.parse(Buffer.from(internalJwt.split('.')[1]!, 'base64url').toString());
    const attacker = await generateKeyPair('ES256');
    const attackerSignedJwt = await new SignJWT({ ...claims, role: 'admin' })
      .setProtectedHeader({ alg: 'ES256', kid: 'attacker', typ: 'at+jwt' })
      .sign(attacker.privateKey);
    corpus = hostileRequests({ internalJwt, attackerSignedJwt, customerToken: tokens.customer });
  });

  // Built once the system is up (the JWT attacks need genuine tokens); the table is fixed.
  const families = () => new Set(corpus.map((entry) => entry.family));

  it('holds at least 200 requests across every family of hostile input', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(200);
    expect([...families()].sort()).toEqual(
      [
        'absurd-number',
        'api-key-garbage',
        'bad-enum',
        'deep-or-huge',
        'header-injection',
        'huge-headers',
        'jwt-attack',
        'malformed-json',
        'method-abuse',
        'oversize-body',
        'oversize-string',
        'path-traversal',
        'protocol-abuse',
        'prototype-pollution',
        'query-abuse',
        'sql-injection',
        'unknown-field',
        'wrong-content-type',
        'wrong-type',
      ].sort(),
    );
  });

  it('the checks are not vacuous: they catch a 5xx, a stack, a bare JSON error', () => {
    const entry = corpus[0]!;
    const good: RawResponse = {
      status: 401,
      headers: {
        'content-type': 'application/problem+json; charset=utf-8',
        'strict-transport-security': 'max-age=1',
        'x-content-type-options': 'nosniff',
        'content-security-policy': "default-src 'none'",
        'www-authenticate': 'Bearer realm="citadel"',
      },
      text: JSON.stringify({
        type: 't',
        title: 'Unauthorized',
        status: 401,
        trace_id: 'a'.repeat(32),
      }),
    };
    expect(checkAnswer(entry, good)).toEqual([]);
    expect(checkAnswer(entry, { ...good, status: 500 })).toContain('not a 4xx');
    expect(
      checkAnswer(entry, { ...good, text: 'TypeError: x\n    at f (/srv/app/dist/main.js:1:2)' }),
    ).toEqual(expect.arrayContaining(['body is not JSON']));
    expect(
      checkAnswer(entry, {
        ...good,
        headers: { ...good.headers, 'content-type': 'application/json', 'x-powered-by': 'x' },
      }),
    ).toEqual(['content-type application/json', 'X-Powered-By']);
  });

  it('every request gets a 4xx problem+json with no internal detail', async () => {
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    // One at a time: the gateway is shared with the rest of the suite, on 2 cores.
    for (const [index, entry] of corpus.entries()) {
      let response: RawResponse;
      try {
        response = await send(entry, tokens, attackerAddress(index));
      } catch (error) {
        failures.push(`${entry.family} / ${entry.name}: no answer (${String(error)})`);
        continue;
      }
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      const problems = checkAnswer(entry, response);
      if (problems.length > 0) {
        failures.push(
          `${entry.family} / ${entry.name}: ${problems.join('; ')}\n    → ${response.status} ${response.text.slice(0, 300)}`,
        );
      }
    }
    expect(failures).toEqual([]);
    // Not vacuous: the answers are the refusals the corpus expects, not rate limiting.
    expect(statuses.get(429) ?? 0).toBeLessThan(corpus.length / 4);
  }, 180_000);
});

function send(
  entry: HostileRequest,
  tokens: Record<string, string>,
  localAddress: string,
): Promise<RawResponse> {
  const options = { localAddress };
  if (entry.raw !== undefined) return sendRaw(entry.raw, options);
  const headers: Record<string, string | string[]> = {};
  let body: string | Buffer | undefined;
  if (typeof entry.body === 'string' || Buffer.isBuffer(entry.body)) body = entry.body;
  else if (entry.body !== undefined) {
    body = JSON.stringify(entry.body);
    headers['content-type'] = 'application/json';
  }
  if (entry.caller !== 'anonymous') headers.authorization = `Bearer ${tokens[entry.caller]}`;
  Object.assign(headers, entry.headers);
  return sendHttps(entry.method, entry.path, headers, body, options);
}

/** Everything wrong with one answer, as short sentences (empty: the answer is right). */
function checkAnswer(entry: HostileRequest, response: RawResponse): string[] {
  const problems: string[] = [];
  const expected = [entry.expectStatus].flat();
  if (!expected.includes(response.status) && response.status !== 429) {
    problems.push(`status ${response.status}, expected ${expected.join(' or ')}`);
  }
  if (response.status < 400 || response.status > 499) problems.push('not a 4xx');
  if (!/^application\/problem\+json/.test(response.headers['content-type'] ?? '')) {
    problems.push(`content-type ${response.headers['content-type']}`);
  }
  let body: Record<string, unknown> | undefined;
  try {
    body = JSON.parse(response.text);
  } catch {
    problems.push('body is not JSON');
  }
  if (body) {
    if (typeof body.type !== 'string' || typeof body.title !== 'string') {
      problems.push('no type/title');
    }
    if (body.status !== response.status) problems.push(`body status ${String(body.status)}`);
    if (typeof body.trace_id !== 'string' || !/^[0-9a-f]{32}$/.test(body.trace_id)) {
      problems.push('no trace_id');
    }
  }
  const leak = INTERNALS.find((pattern) => pattern.test(response.text));
  if (leak) problems.push(`internal detail (${leak})`);
  const headers = response.headers;
  if (headers['x-powered-by'] !== undefined) problems.push('X-Powered-By');
  if (headers['server'] !== undefined) problems.push('Server header');
  if (!headers['strict-transport-security']) problems.push('no HSTS');
  if (headers['x-content-type-options'] !== 'nosniff') problems.push('no nosniff');
  if (!headers['content-security-policy']) problems.push('no CSP');
  if (headers['access-control-allow-origin'] !== undefined) problems.push('CORS open');
  if (headers['set-cookie'] !== undefined || headers['x-injected'] !== undefined) {
    problems.push('injected header in the answer');
  }
  if (response.status === 401 && !/^Bearer/.test(headers['www-authenticate'] ?? '')) {
    problems.push('401 without WWW-Authenticate: Bearer');
  }
  return problems;
}
