// The hostile-input corpus: requests an attacker sends to the edge, as data. Every one
// must get a 4xx application/problem+json answer with no internal detail;
// hostile-input.e2e-spec.ts sends them all and checks each answer.
import { createHmac, randomBytes } from 'node:crypto';

export type Family =
  | 'jwt-attack'
  | 'api-key-garbage'
  | 'malformed-json'
  | 'deep-or-huge'
  | 'oversize-string'
  | 'oversize-body'
  | 'wrong-type'
  | 'unknown-field'
  | 'prototype-pollution'
  | 'absurd-number'
  | 'bad-enum'
  | 'sql-injection'
  | 'path-traversal'
  | 'header-injection'
  | 'wrong-content-type'
  | 'huge-headers'
  | 'method-abuse'
  | 'query-abuse'
  | 'protocol-abuse';

/** Who the request claims to be: no one, or a genuine token of a demo user's role. */
export type Caller = 'anonymous' | 'customer' | 'admin';

export interface HostileRequest {
  family: Family;
  name: string;
  method: string;
  path: string;
  caller: Caller;
  headers?: Record<string, string | string[]>;
  /** An object is sent as JSON (content-type application/json unless headers say otherwise). */
  body?: string | Buffer | object;
  /** The exact request bytes instead (`{host}` is the gateway's host:port). */
  raw?: string;
  expectStatus: number | readonly number[];
}

/** What the corpus needs from the booted system: genuine tokens to attack with. */
export interface CorpusContext {
  /** A genuine internal JWT (aud order): valid inside, never at the edge. */
  internalJwt: string;
  /** An ES256 JWT with the right claims, signed by an attacker's own key. */
  attackerSignedJwt: string;
  /** A genuine opaque access token of the customer the corpus acts as. */
  customerToken: string;
}

const UUID = '00000000-0000-4000-8000-000000000000';
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);
const unique = () => randomBytes(6).toString('hex');
/** Login emails no account has: failures count against nobody's lockout. */
const fakeEmail = () => `hostile-${unique()}@example.test`;

/** Every route that needs a signed-in caller, with a body it would otherwise accept. */
const PROTECTED_ROUTES: readonly { method: string; path: string; body?: object }[] = [
  { method: 'GET', path: '/v1/me' },
  { method: 'POST', path: '/v1/auth/logout' },
  { method: 'GET', path: '/v1/orders' },
  { method: 'POST', path: '/v1/orders', body: { items: [{ sku: 'CIT-MUG', quantity: 1 }] } },
  { method: 'GET', path: `/v1/orders/${UUID}` },
  { method: 'POST', path: `/v1/orders/${UUID}/cancel` },
  { method: 'POST', path: `/v1/orders/${UUID}/refund` },
  { method: 'GET', path: '/v1/customers' },
  { method: 'DELETE', path: `/v1/customers/${UUID}` },
  { method: 'PUT', path: '/v1/products/CIT-MUG/price', body: { price_cents: 1 } },
  { method: 'GET', path: '/v1/admin/alerts' },
];

function forgedTokens(ctx: CorpusContext): [string, string][] {
  const [header, payload, signature] = ctx.internalJwt.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<
    string,
    unknown
  >;
  const kid = (JSON.parse(Buffer.from(header, 'base64url').toString()) as { kid?: string }).kid;
  const admin = b64({ ...claims, role: 'admin' });
  const hs256 = (secret: string, head: object = { alg: 'HS256', typ: 'at+jwt', kid }) => {
    const input = `${b64(head)}.${admin}`;
    return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
  };
  const unsigned = (alg: string) => `${b64({ alg, typ: 'at+jwt', kid })}.${admin}.`;
  const tamperedOpaque =
    ctx.customerToken.slice(0, -1) + (ctx.customerToken.endsWith('A') ? 'B' : 'A');
  return [
    ['a genuine internal JWT', ctx.internalJwt],
    ['a genuine JWT with its payload escalated to admin', `${header}.${admin}.${signature}`],
    ['a genuine JWT with its signature stripped', `${header}.${payload}.`],
    ['alg:none', unsigned('none')],
    ['alg:None', unsigned('None')],
    ['alg:NONE with no signature part', unsigned('NONE').slice(0, -1)],
    ['HS256 keyed with a guessed secret', hs256('secret')],
    ['HS256 keyed with the kid', hs256(String(kid))],
    ['an ES256 JWT signed by an attacker key', ctx.attackerSignedJwt],
    [
      'an expired JWT (exp an hour ago)',
      `${header}.${b64({ ...claims, exp: now() - 3600, iat: now() - 3660 })}.${signature}`,
    ],
    [
      'a JWT whose kid walks the file system',
      hs256('', { alg: 'HS256', typ: 'at+jwt', kid: '../../../../dev/null' }),
    ],
    [
      'a JWT pointing at an attacker JWKS (jku)',
      `${b64({ alg: 'ES256', kid: 'x', jku: 'https://evil.example/jwks.json' })}.${admin}.${signature}`,
    ],
    [
      'a JWT embedding its own key (jwk header)',
      `${b64({ alg: 'ES256', jwk: { kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' } })}.${admin}.${signature}`,
    ],
    ['a tampered opaque token (one character changed)', tamperedOpaque],
    ['an opaque-shaped token nobody issued', `cit_at_${randomBytes(32).toString('base64url')}`],
    ['an opaque token one character short', ctx.customerToken.slice(0, -1)],
    ['an oversized token (8 KB)', `cit_at_${'A'.repeat(8192)}`],
    ['garbage', 'not-a-token'],
    ['the string null', 'null'],
    ['a token of SQL', "cit_at_' OR '1'='1"],
  ];
}

function jwtAttacks(ctx: CorpusContext): HostileRequest[] {
  return forgedTokens(ctx).flatMap(([kind, token]) =>
    PROTECTED_ROUTES.map((route) => ({
      family: 'jwt-attack' as const,
      name: `${kind} on ${route.method} ${route.path}`,
      method: route.method,
      path: route.path,
      caller: 'anonymous' as const,
      headers: { authorization: `Bearer ${token}` },
      ...(route.body ? { body: route.body } : {}),
      expectStatus: 401,
    })),
  );
}

function apiKeyGarbage(): HostileRequest[] {
  const key = `cit_ak_${randomBytes(32).toString('base64url')}`;
  const shapes: [string, Record<string, string>][] = [
    ['an unknown API key as bearer', { authorization: `Bearer ${key}` }],
    ['an API key that is too short', { authorization: 'Bearer cit_ak_abc' }],
    ['an API key with SQL in it', { authorization: "Bearer cit_ak_' OR 1=1--" }],
    ['an API key of 4 KB', { authorization: `Bearer cit_ak_${'k'.repeat(4096)}` }],
    ['an API key in X-API-Key', { 'x-api-key': key }],
    ['an API key in X-API-Key next to no bearer', { 'x-api-key': 'cit_ak_', authorization: '' }],
    ['an API key under the Basic scheme', { authorization: `Basic ${b64(`${key}:`)}` }],
    ['an API key under an unknown scheme', { authorization: `ApiKey ${key}` }],
    ['Basic admin:admin', { authorization: 'Basic YWRtaW46YWRtaW4=' }],
    ['Bearer with no token', { authorization: 'Bearer' }],
    ['Bearer with two spaces', { authorization: `Bearer  ${key}` }],
    ['a token in a cookie', { cookie: `access_token=${key}` }],
  ];
  return shapes.map(([name, headers]) => ({
    family: 'api-key-garbage',
    name: `${name} on GET /v1/orders`,
    method: 'GET',
    path: '/v1/orders',
    caller: 'anonymous',
    headers,
    expectStatus: 401,
  }));
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** A JSON body sent to a route as the given caller. */
function bodyCase(
  family: Family,
  name: string,
  route: 'login' | 'order' | 'price',
  body: string | object,
  expectStatus: number | readonly number[] = 400,
  headers: Record<string, string> = JSON_HEADERS,
): HostileRequest {
  const target = {
    login: { method: 'POST', path: '/v1/auth/login', caller: 'anonymous' as const },
    order: { method: 'POST', path: '/v1/orders', caller: 'customer' as const },
    price: { method: 'PUT', path: '/v1/products/CIT-MUG/price', caller: 'admin' as const },
  }[route];
  return {
    family,
    name: `${name} (${target.method} ${target.path})`,
    ...target,
    headers,
    body,
    expectStatus,
  };
}

function malformedJson(): HostileRequest[] {
  const bodies: [string, string][] = [
    ['truncated JSON', '{"email":'],
    ['a trailing comma', '{"items":[{"sku":"CIT-MUG","quantity":1},]}'],
    ['single quotes', "{'items':[]}"],
    ['NaN', '{"items":[{"sku":"CIT-MUG","quantity":NaN}]}'],
    ['a comment', '{"items":[] /* hi */}'],
    ['a byte-order mark', '\uFEFF{"items":[]}'],
    ['two documents', '{"items":[]}{"items":[]}'],
    ['an empty body', ''],
    ['whitespace only', '   \n '],
    ['the literal null', 'null'],
    ['a bare string', '"CIT-MUG"'],
    ['a bare number', '42'],
    ['an array instead of an object', '[{"sku":"CIT-MUG","quantity":1}]'],
    ['an unterminated string', '{"items":"'],
    ['binary garbage', '\u0000\u0001\u0002\u00ff'],
    ['a lone surrogate escape', '{"items":[{"sku":"\\ud800","quantity":1}]}'],
  ];
  return bodies.map(([name, body]) => bodyCase('malformed-json', name, 'order', body));
}

function deepOrHuge(): HostileRequest[] {
  const item = { sku: 'CIT-MUG', quantity: 1 };
  return [
    bodyCase(
      'deep-or-huge',
      'arrays nested 5,000 deep',
      'order',
      `{"items":${'['.repeat(5000)}${']'.repeat(5000)}}`,
    ),
    bodyCase(
      'deep-or-huge',
      'arrays nested 33 deep',
      'order',
      `{"items":${'['.repeat(33)}${']'.repeat(33)}}`,
    ),
    bodyCase(
      'deep-or-huge',
      'objects nested 2,000 deep',
      'order',
      `${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}`,
    ),
    bodyCase(
      'deep-or-huge',
      'a top-level array nested 7,000 deep',
      'login',
      `${'['.repeat(7000)}${']'.repeat(7000)}`,
    ),
    bodyCase('deep-or-huge', 'an array inside items', 'order', { items: [[item]] }),
    bodyCase('deep-or-huge', '51 items', 'order', { items: Array(51).fill(item) }),
    bodyCase('deep-or-huge', '3,000 numbers as items', 'order', { items: Array(3000).fill(1) }),
    bodyCase('deep-or-huge', 'no items', 'order', { items: [] }),
    bodyCase(
      'deep-or-huge',
      '500 unknown keys',
      'order',
      Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, i])),
    ),
  ];
}

function oversizeStrings(): HostileRequest[] {
  const long = 'x'.repeat(10_000);
  return [
    bodyCase('oversize-string', 'a 10,000-character email', 'login', {
      email: `${long}@example.test`,
      password: 'x',
    }),
    bodyCase('oversize-string', 'a 10,000-character password', 'login', {
      email: fakeEmail(),
      password: long,
    }),
    bodyCase('oversize-string', 'a 10,000-character sku', 'order', {
      items: [{ sku: long.toUpperCase(), quantity: 1 }],
    }),
    bodyCase('oversize-string', 'a 10,000-character payment token', 'order', {
      items: [{ sku: 'CIT-MUG', quantity: 1 }],
      payment_token: `tok_${long}`,
    }),
    bodyCase(
      'oversize-string',
      'a 10,000-digit price',
      'price',
      `{"price_cents":${'9'.repeat(10_000)}}`,
    ),
    {
      family: 'oversize-string',
      name: 'a 10,000-character Idempotency-Key',
      method: 'POST',
      path: '/v1/orders',
      caller: 'customer',
      headers: { 'idempotency-key': long },
      body: { items: [{ sku: 'CIT-MUG', quantity: 0 }] },
      expectStatus: 400,
    },
    // One over the limits GET /docs/openapi.json states (its other stated limits are checked against
    // the validation pipe in apps/gateway/src/docs/stated-limits.spec.ts). The body is
    // valid: only the key can be the reason for the 400.
    {
      family: 'oversize-string',
      name: 'an Idempotency-Key one character over the 128 the API documents',
      method: 'POST',
      path: '/v1/orders',
      caller: 'customer',
      headers: { 'idempotency-key': 'k'.repeat(129) },
      body: { items: [{ sku: 'CIT-MUG', quantity: 1 }] },
      expectStatus: 400,
    },
    {
      family: 'oversize-string',
      name: "a path id one character over a UUID's 36",
      method: 'GET',
      path: `/v1/orders/${UUID}0`,
      caller: 'customer',
      expectStatus: 400,
    },
  ];
}

function oversizeBodies(): HostileRequest[] {
  return [
    bodyCase(
      'oversize-body',
      '20 KB of JSON',
      'login',
      { email: fakeEmail(), password: 'p'.repeat(20_000) },
      413,
    ),
    bodyCase('oversize-body', '1 MB of JSON', 'order', `{"items":"${'A'.repeat(1_000_000)}"}`, 413),
    bodyCase('oversize-body', '100 KB as anonymous', 'login', 'x'.repeat(100_000), 413),
    {
      family: 'oversize-body',
      name: 'a Content-Length of a gigabyte',
      method: 'POST',
      path: '/v1/auth/login',
      caller: 'anonymous',
      raw:
        'POST /v1/auth/login HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n' +
        'Content-Length: 1073741824\r\nConnection: close\r\n\r\n{}',
      expectStatus: 413,
    },
  ];
}

function wrongTypes(): HostileRequest[] {
  const orders: [string, object][] = [
    ['items as a string', { items: 'CIT-MUG' }],
    ['items as an object', { items: { sku: 'CIT-MUG', quantity: 1 } }],
    ['items null', { items: null }],
    ['an item null', { items: [null] }],
    ['sku as a number', { items: [{ sku: 42, quantity: 1 }] }],
    ['sku as an array', { items: [{ sku: ['CIT-MUG'], quantity: 1 }] }],
    ['quantity as a string', { items: [{ sku: 'CIT-MUG', quantity: '1' }] }],
    ['quantity as a boolean', { items: [{ sku: 'CIT-MUG', quantity: true }] }],
    ['quantity null', { items: [{ sku: 'CIT-MUG', quantity: null }] }],
    ['quantity as an object', { items: [{ sku: 'CIT-MUG', quantity: { $gt: 0 } }] }],
    [
      'payment_token as a number',
      { items: [{ sku: 'CIT-MUG', quantity: 1 }], payment_token: 4242 },
    ],
    ['an empty object', {}],
  ];
  const logins: [string, object][] = [
    ['email and password null', { email: null, password: null }],
    ['email as an array', { email: [fakeEmail()], password: 'x' }],
    ['password as an operator object', { email: fakeEmail(), password: { $ne: '' } }],
    ['password as a number', { email: fakeEmail(), password: 1234 }],
    ['password empty', { email: fakeEmail(), password: '' }],
  ];
  return [
    ...orders.map(([name, body]) => bodyCase('wrong-type', name, 'order', body)),
    ...logins.map(([name, body]) => bodyCase('wrong-type', name, 'login', body)),
    bodyCase('wrong-type', 'price as a string', 'price', { price_cents: '1500' }),
    bodyCase('wrong-type', 'price null', 'price', { price_cents: null }),
  ];
}

function unknownFields(): HostileRequest[] {
  const item = { sku: 'CIT-MUG', quantity: 1 };
  const orders: [string, object][] = [
    ['isAdmin', { items: [item], isAdmin: true }],
    ['role', { items: [item], role: 'admin' }],
    ['user_id (ordering for someone else)', { items: [item], user_id: UUID }],
    ['total_cents (setting the price)', { items: [item], total_cents: 1 }],
    ['status paid', { items: [item], status: 'paid' }],
    ['unit_price_cents on an item', { items: [{ ...item, unit_price_cents: 1 }] }],
    ['a field named with SQL', { items: [item], "' OR 1=1--": 1 }],
    ['a field named with markup', { items: [item], '<script>alert(1)</script>': 1 }],
  ];
  return [
    ...orders.map(([name, body]) => bodyCase('unknown-field', name, 'order', body)),
    bodyCase('unknown-field', 'role on login', 'login', {
      email: fakeEmail(),
      password: 'x',
      role: 'admin',
    }),
    bodyCase('unknown-field', 'currency on a price', 'price', {
      price_cents: 1500,
      currency: 'XXX',
    }),
  ];
}

function prototypePollution(): HostileRequest[] {
  const item = '{"sku":"CIT-MUG","quantity":1}';
  const bodies: [string, 'login' | 'order' | 'price', string][] = [
    ['__proto__ at the top', 'order', `{"items":[${item}],"__proto__":{"role":"admin"}}`],
    [
      '__proto__ in an item',
      'order',
      `{"items":[{"sku":"CIT-MUG","quantity":1,"__proto__":{"isAdmin":true}}]}`,
    ],
    [
      'constructor.prototype at the top',
      'order',
      `{"items":[${item}],"constructor":{"prototype":{"role":"admin"}}}`,
    ],
    [
      'constructor.prototype in an item',
      'order',
      `{"items":[{"sku":"CIT-MUG","quantity":1,"constructor":{"prototype":{"x":1}}}]}`,
    ],
    [
      '__proto__ escaped as \\u005f',
      'order',
      `{"items":[${item}],"\\u005f\\u005fproto\\u005f\\u005f":{"role":"admin"}}`,
    ],
    [
      '__proto__ on login',
      'login',
      `{"email":"${fakeEmail()}","password":"x","__proto__":{"role":"admin"}}`,
    ],
    [
      'constructor on a price',
      'price',
      '{"price_cents":1500,"constructor":{"prototype":{"role":"admin"}}}',
    ],
  ];
  return [
    ...bodies.map(([name, route, body]) => bodyCase('prototype-pollution', name, route, body)),
    {
      family: 'prototype-pollution',
      name: '__proto__ in the query string',
      method: 'GET',
      path: '/v1/products?__proto__[role]=admin&constructor[prototype][x]=1',
      caller: 'anonymous',
      expectStatus: 400,
    },
  ];
}

function absurdNumbers(): HostileRequest[] {
  const quantities: [string, string][] = [
    ['negative', '-5'],
    ['zero', '0'],
    ['minus zero', '-0'],
    ['fractional', '1.5'],
    ['tiny fraction', '0.0000001'],
    ['over the limit', '101'],
    ['a billion', '1e9'],
    ['past MAX_SAFE_INTEGER', '9007199254740993'],
    ['1e400 (Infinity)', '1e400'],
    ['-1e400', '-1e400'],
  ];
  const prices: [string, string][] = [
    ['negative', '-1500'],
    ['zero', '0'],
    ['fractional', '15.5'],
    ['over ten million', '10000001'],
    ['1e308', '1e308'],
  ];
  return [
    ...quantities.map(([name, value]) =>
      bodyCase(
        'absurd-number',
        `quantity ${name}`,
        'order',
        `{"items":[{"sku":"CIT-MUG","quantity":${value}}]}`,
      ),
    ),
    ...prices.map(([name, value]) =>
      bodyCase('absurd-number', `price ${name}`, 'price', `{"price_cents":${value}}`),
    ),
  ];
}

function badEnums(): HostileRequest[] {
  const skus = ['cit-mug', 'CIT MUG', 'CIT_MUG', '', 'CIT-MUG\n', 'ÇIT-MUG', '*'];
  const tokens = ['visa', 'tok_VISA', 'tok_', 'tok_visa;drop', 'card_4242424242424242'];
  return [
    ...skus.map((sku) =>
      bodyCase('bad-enum', `sku ${JSON.stringify(sku)}`, 'order', {
        items: [{ sku, quantity: 1 }],
      }),
    ),
    ...tokens.map((token) =>
      bodyCase('bad-enum', `payment_token ${JSON.stringify(token)}`, 'order', {
        items: [{ sku: 'CIT-MUG', quantity: 1 }],
        payment_token: token,
      }),
    ),
    {
      family: 'bad-enum',
      name: 'an Idempotency-Key with spaces and quotes',
      method: 'POST',
      path: '/v1/orders',
      caller: 'customer',
      headers: { 'idempotency-key': `key "with" spaces` },
      body: { items: [{ sku: 'CIT-MUG', quantity: 0 }] },
      expectStatus: 400,
    },
  ];
}

const SQL = [
  "' OR '1'='1",
  "'; DROP TABLE orders;--",
  '1 UNION SELECT password_hash FROM users--',
  "admin'--",
  "1' AND SLEEP(5)--",
  "'); SELECT pg_sleep(5);--",
];

function sqlInjection(): HostileRequest[] {
  const cases: HostileRequest[] = [];
  SQL.forEach((sql, i) => {
    cases.push(
      bodyCase('sql-injection', `SQL in sku #${i}`, 'order', {
        items: [{ sku: sql, quantity: 1 }],
      }),
      bodyCase('sql-injection', `SQL in payment_token #${i}`, 'order', {
        items: [{ sku: 'CIT-MUG', quantity: 1 }],
        payment_token: sql,
      }),
      bodyCase('sql-injection', `SQL as the email #${i}`, 'login', { email: sql, password: 'x' }),
      // A well-formed address with SQL in it, and SQL as a password, reach auth: a plain
      // 401 (or 429 once this address has failed often enough).
      bodyCase(
        'sql-injection',
        `SQL as the password #${i}`,
        'login',
        { email: fakeEmail(), password: sql },
        [401, 429],
      ),
      bodyCase(
        'sql-injection',
        `SQL as the price #${i}`,
        'price',
        `{"price_cents":"${sql.replaceAll('"', '\\"')}"}`,
      ),
    );
    const encoded = encodeURIComponent(sql);
    for (const [method, path, caller] of [
      ['GET', `/v1/orders/${encoded}`, 'customer'],
      ['POST', `/v1/orders/${encoded}/cancel`, 'customer'],
      ['DELETE', `/v1/customers/${encoded}`, 'admin'],
      ['PUT', `/v1/products/${encoded}/price`, 'admin'],
    ] as const) {
      cases.push({
        family: 'sql-injection',
        name: `SQL #${i} in the path of ${method} ${path.split('/').slice(0, 3).join('/')}`,
        method,
        path,
        caller,
        ...(method === 'PUT' ? { body: { price_cents: 1500 } } : {}),
        expectStatus: 400,
      });
    }
  });
  cases.push(
    bodyCase(
      'sql-injection',
      'SQL in the local part of a well-formed email',
      'login',
      {
        email: `x'or'1'='1-${unique()}@example.test`,
        password: 'x',
      },
      [400, 401, 429],
    ),
    {
      family: 'sql-injection',
      name: 'SQL in the Idempotency-Key',
      method: 'POST',
      path: '/v1/orders',
      caller: 'customer',
      headers: { 'idempotency-key': "k' OR '1'='1" },
      body: { items: [{ sku: 'CIT-MUG', quantity: 0 }] },
      expectStatus: 400,
    },
  );
  return cases;
}

function pathTraversal(): HostileRequest[] {
  const ids: [string, number | readonly number[]][] = [
    ['..%2f..%2fetc%2fpasswd', 400],
    ['..%2F..%2F..%2F..%2Fetc%2Fshadow', 400],
    ['%2e%2e%2f%2e%2e%2fetc%2fpasswd', 400],
    ['%252e%252e%252fetc%252fpasswd', 400],
    ['..%5c..%5cwindows%5cwin.ini', 400],
    ['..%00', 400],
    ['%00', 400],
    ['%c0%ae%c0%ae%c0%af', 400],
    ['..%c0%af..%c0%afetc', 400],
    ['%uff0e%uff0e%u2215', 400],
    ['....%2f%2f....%2f%2fetc', 400],
    ['..;%2f..;%2fadmin', 400],
    [`${UUID}%2f..%2f..%2fadmin%2falerts`, 400],
    ['..', 400],
    ['%2e%2e', 400],
    // Up to 200 characters a segment reaches validation; past that the router refuses it.
    ['a'.repeat(150), 400],
    ['a'.repeat(201), 414],
  ];
  const raw: [string, number | readonly number[]][] = [
    ['/v1/orders/../../etc/passwd', 404],
    ['/../../../etc/passwd', 404],
    ['/v1/../../../etc/passwd', 404],
    ['/v1/orders/%2e%2e/%2e%2e/etc/passwd', 404],
    ['/v1/orders/./././../customers', 404],
    ['//etc/passwd', 404],
    ['/v1/orders\\..\\..\\etc\\passwd', 404],
    ['/docs/../../../../etc/passwd', 404],
  ];
  return [
    ...ids.flatMap(([id, status]) => [
      {
        family: 'path-traversal' as const,
        name: `GET /v1/orders/${id}`,
        method: 'GET',
        path: `/v1/orders/${id}`,
        caller: 'customer' as const,
        expectStatus: status,
      },
    ]),
    ...['..%2f..%2fetc%2fpasswd', '%2e%2e%2f', '%252e%252e%252f'].map((id) => ({
      family: 'path-traversal' as const,
      name: `DELETE /v1/customers/${id}`,
      method: 'DELETE',
      path: `/v1/customers/${id}`,
      caller: 'admin' as const,
      expectStatus: 400,
    })),
    ...['..%2f..%2fetc', '%2e%2e', 'CIT-MUG%2f..%2f..'].map((sku) => ({
      family: 'path-traversal' as const,
      name: `PUT /v1/products/${sku}/price`,
      method: 'PUT',
      path: `/v1/products/${sku}/price`,
      caller: 'admin' as const,
      body: { price_cents: 1500 },
      expectStatus: 400,
    })),
    ...raw.map(([path, status]) => ({
      family: 'path-traversal' as const,
      name: `raw target ${path}`,
      method: 'GET',
      path,
      caller: 'customer' as const,
      raw: `GET ${path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n`,
      expectStatus: status,
    })),
  ];
}

function headerInjection(): HostileRequest[] {
  const request = (headerLines: string, path = '/v1/products') =>
    `GET ${path} HTTP/1.1\r\nHost: {host}\r\n${headerLines}Connection: close\r\n\r\n`;
  const cases: [string, string][] = [
    [
      'CRLF in a header value (a smuggled header)',
      request('X-Note: a\r\nX-Injected: 1\r\nX-Bad: \rb\r\n'),
    ],
    ['a bare CR in a value', request('X-Note: a\rSet-Cookie: session=evil\r\n')],
    ['a bare LF in a value', request('X-Note: a\nSet-Cookie: session=evil\r\n')],
    ['NUL in a value', request('X-Note: a\u0000b\r\n')],
    [
      'CRLF inside Authorization',
      request('Authorization: Bearer x\rX-Role: admin\r\n', '/v1/orders'),
    ],
    ['an obs-fold continuation line', request('X-Note: a\r\n  folded\r\n')],
    ['a space in a header name', request('X Note: a\r\n')],
    ['a space before the colon', request('Authorization : Bearer x\r\n', '/v1/orders')],
    ['a header with no colon', request('X-Note\r\n')],
    ['a control character in a header name', request('X-No\u0001te: a\r\n')],
    ['an LF-only request', 'GET /v1/products HTTP/1.1\nHost: {host}\nConnection: close\n\n'],
    [
      'CRLF encoded in the path (response splitting)',
      request('', '/v1/orders/%0d%0aSet-Cookie:%20x=1'),
    ],
    [
      'a raw space in the path',
      'GET /v1/pro ducts HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n',
    ],
    [
      'a raw CR in the path',
      'GET /v1/products\r/x HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n',
    ],
  ];
  return cases.map(([name, raw]) => ({
    family: 'header-injection',
    name,
    method: 'GET',
    path: '/v1/products',
    caller: 'anonymous',
    raw,
    expectStatus: name.startsWith('CRLF encoded') ? [400, 401] : 400,
  }));
}

function wrongContentTypes(): HostileRequest[] {
  const order = JSON.stringify({ items: [{ sku: 'CIT-MUG', quantity: 1 }] });
  const login = JSON.stringify({ email: fakeEmail(), password: 'x' });
  const types: [string, string, string, number][] = [
    ['text/plain', 'text/plain', login, 415],
    ['a form post', 'application/x-www-form-urlencoded', `email=${fakeEmail()}&password=x`, 415],
    ['XML', 'application/xml', '<login><email>a@b.c</email></login>', 415],
    ['text/xml', 'text/xml', '<login/>', 415],
    [
      'multipart',
      'multipart/form-data; boundary=xyz',
      '--xyz\r\nContent-Disposition: form-data; name="email"\r\n\r\na\r\n--xyz--',
      415,
    ],
    ['octet-stream', 'application/octet-stream', login, 415],
    ['text/html', 'text/html', login, 415],
    ['a JSON look-alike type', 'application/jsonx', login, 415],
    ['json-patch', 'application/json-patch+json', '[]', 415],
    ['UTF-16 declared', 'application/json; charset=utf-16', login, 415],
    ['Latin-1 declared', 'application/json; charset=iso-8859-1', login, 415],
    ['UTF-7 declared', 'application/json; charset=utf-7', login, 415],
    ['a quoted UTF-16 charset', 'application/json; charset="UTF-16LE"', login, 415],
    ['two media types', 'text/plain, application/json', login, 415],
    ['an empty content type', '', login, 415],
  ];
  const cases: HostileRequest[] = types.map(([name, type, body, status]) => ({
    family: 'wrong-content-type',
    name: `${name} to POST /v1/auth/login`,
    method: 'POST',
    path: '/v1/auth/login',
    caller: 'anonymous',
    headers: { 'content-type': type },
    body,
    expectStatus: status,
  }));
  cases.push(
    {
      family: 'wrong-content-type',
      name: 'a body with no content type',
      method: 'POST',
      path: '/v1/orders',
      caller: 'customer',
      headers: {},
      body: order,
      expectStatus: 415,
    },
    {
      family: 'wrong-content-type',
      name: 'a form post to PUT /v1/products/CIT-MUG/price',
      method: 'PUT',
      path: '/v1/products/CIT-MUG/price',
      caller: 'admin',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'price_cents=1',
      expectStatus: 415,
    },
    {
      family: 'wrong-content-type',
      name: 'text/plain to POST /v1/orders',
      method: 'POST',
      path: '/v1/orders',
      caller: 'customer',
      headers: { 'content-type': 'text/plain' },
      body: order,
      expectStatus: 415,
    },
    {
      family: 'wrong-content-type',
      name: 'a gzip-encoded body',
      method: 'POST',
      path: '/v1/auth/login',
      caller: 'anonymous',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: Buffer.from([0x1f, 0x8b, 0x08, 0x00]),
      expectStatus: [400, 415],
    },
  );
  return cases;
}

function hugeHeaders(): HostileRequest[] {
  const big = (size: number) => 'a'.repeat(size);
  const many = Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`x-h${i}`, big(60)]));
  const headerCases: [string, Record<string, string>][] = [
    ['one 20 KB header', { 'x-big': big(20_000) }],
    ['a 64 KB cookie', { cookie: `c=${big(65_536)}` }],
    ['400 headers of 60 bytes', many],
    ['a 20 KB bearer token', { authorization: `Bearer cit_at_${big(20_000)}` }],
    ['a 17 KB User-Agent', { 'user-agent': big(17_000) }],
  ];
  return [
    ...headerCases.map(([name, headers]): HostileRequest => ({
      family: 'huge-headers',
      name,
      method: 'GET',
      path: '/v1/products',
      caller: 'anonymous',
      headers,
      expectStatus: 431,
    })),
    {
      family: 'huge-headers',
      name: 'a 20 KB URL',
      method: 'GET',
      path: `/v1/products?q=${big(20_000)}`,
      caller: 'anonymous',
      headers: {},
      expectStatus: 431,
    },
    {
      family: 'huge-headers',
      name: 'a 300-character path segment',
      method: 'GET',
      path: `/v1/orders/${big(300)}`,
      caller: 'customer',
      headers: {},
      expectStatus: 414,
    },
  ];
}

function methodAbuse(): HostileRequest[] {
  const viaClient: [string, string, number][] = [
    ['TRACE', '/v1/products', 404],
    ['TRACE', '/v1/orders', 404],
    ['PROPFIND', '/v1/orders', 404],
    ['PATCH', '/v1/orders', 404],
    ['PATCH', `/v1/orders/${UUID}`, 404],
    ['DELETE', '/v1/orders', 404],
    ['PUT', '/v1/orders', 404],
    ['DELETE', '/v1/products', 404],
    ['POST', '/v1/products', 404],
    ['GET', '/v1/auth/login', 404],
    ['PUT', '/v1/me', 404],
    ['SEARCH', '/v1/customers', 404],
    ['OPTIONS', '/v1/orders', 404],
  ];
  const cases: HostileRequest[] = viaClient.map(([method, path, status]) => ({
    family: 'method-abuse',
    name: `${method} ${path}`,
    method,
    path,
    caller: 'anonymous',
    expectStatus: status,
  }));
  cases.push({
    family: 'method-abuse',
    name: 'a CORS preflight from a foreign origin',
    method: 'OPTIONS',
    path: '/v1/orders',
    caller: 'anonymous',
    headers: {
      origin: 'https://evil.example',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization',
    },
    expectStatus: 404,
  });
  const rawMethods: [string, string, number][] = [
    ['an unknown verb', 'FOO /v1/products', 400],
    ['a lower-case verb', 'get /v1/products', 400],
    ['CONNECT (asking for a tunnel)', 'CONNECT 127.0.0.1:22', 405],
    ['CONNECT to the gateway itself', 'CONNECT {host}', 405],
    ['TRACK', 'TRACK /v1/products', 400],
    ['a verb of 1,000 letters', `${'A'.repeat(1000)} /v1/products`, 400],
  ];
  for (const [name, line, status] of rawMethods) {
    cases.push({
      family: 'method-abuse',
      name,
      method: line.split(' ')[0]!,
      path: '/v1/products',
      caller: 'anonymous',
      raw: `${line} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n`,
      expectStatus: status,
    });
  }
  return cases;
}

function queryAbuse(): HostileRequest[] {
  const queries: [string, string, Caller][] = [
    ['an unknown parameter', '/v1/products?debug=true', 'anonymous'],
    ['SQL in a parameter', `/v1/products?sku=${encodeURIComponent(SQL[0]!)}`, 'anonymous'],
    ['SQL as a parameter name', `/v1/products?${encodeURIComponent(SQL[1]!)}=1`, 'anonymous'],
    ['a repeated parameter (HPP)', '/v1/orders?user_id=a&user_id=b', 'customer'],
    ['a filter for another user', `/v1/orders?user_id=${UUID}`, 'customer'],
    ['a limit of minus one', '/v1/orders?limit=-1', 'customer'],
    ['an operator object', '/v1/orders?status[$ne]=paid', 'customer'],
    ['an access token in the query', `/v1/me?access_token=cit_at_${'A'.repeat(43)}`, 'anonymous'],
    ['a malformed percent escape', '/v1/products?x=%zz', 'anonymous'],
    ['traversal in a parameter', '/v1/products?file=..%2f..%2fetc%2fpasswd', 'anonymous'],
    ['markup in a parameter', '/v1/products?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E', 'anonymous'],
    [
      '1,000 parameters',
      `/v1/products?${Array.from({ length: 1000 }, (_, i) => `p${i}=1`).join('&')}`,
      'anonymous',
    ],
    ['a parameter on /healthz', '/healthz?verbose=1', 'anonymous'],
    ['a parameter on the docs', '/docs?url=https://evil.example', 'anonymous'],
    ['a semicolon-separated parameter', '/v1/products;jsessionid=x', 'anonymous'],
  ];
  return queries.map(([name, path, caller]) => ({
    family: 'query-abuse',
    name: `${name}: ${path.slice(0, 80)}`,
    method: 'GET',
    path,
    caller,
    expectStatus: path.includes(';')
      ? 404
      : caller === 'anonymous' && path.startsWith('/v1/me')
        ? [400, 401]
        : 400,
  }));
}

function protocolAbuse(): HostileRequest[] {
  const post = (headerLines: string, body: string) =>
    `POST /v1/auth/login HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n${headerLines}Connection: close\r\n\r\n${body}`;
  const cases: [string, string, number | readonly number[]][] = [
    [
      'Content-Length and Transfer-Encoding together (CL.TE)',
      post('Content-Length: 4\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n'),
      400,
    ],
    [
      'two different Content-Lengths',
      post('Content-Length: 2\r\nContent-Length: 3\r\n', '{}'),
      400,
    ],
    ['a negative Content-Length', post('Content-Length: -1\r\n', '{}'), 400],
    ['a Content-Length that is not a number', post('Content-Length: 2x\r\n', '{}'), 400],
    [
      'a malformed chunk size',
      post('Transfer-Encoding: chunked\r\n', 'ZZ\r\n{}\r\n0\r\n\r\n'),
      400,
    ],
    [
      'Transfer-Encoding: gzip, chunked',
      post('Transfer-Encoding: gzip, chunked\r\n', '2\r\n{}\r\n0\r\n\r\n'),
      400,
    ],
    [
      'an obfuscated Transfer-Encoding',
      post('Transfer-Encoding: xchunked\r\nContent-Length: 2\r\n', '{}'),
      400,
    ],
    [
      'a chunk extension of 20 KB',
      post('Transfer-Encoding: chunked\r\n', `2;${'e'.repeat(20_000)}\r\n{}\r\n0\r\n\r\n`),
      [400, 413],
    ],
    ['an unknown Expect', post('Expect: 999-unknown\r\nContent-Length: 2\r\n', '{}'), 417],
    ['HTTP/0.9', 'GET /v1/products\r\n\r\n', 400],
    [
      'an HTTP/2.0 request line over HTTP/1',
      'GET /v1/products HTTP/2.0\r\nHost: {host}\r\nConnection: close\r\n\r\n',
      400,
    ],
    ['HTTP/1.2', 'GET /v1/products HTTP/1.2\r\nHost: {host}\r\nConnection: close\r\n\r\n', 400],
    ['HTTP/1.1 without Host', 'GET /v1/products HTTP/1.1\r\nConnection: close\r\n\r\n', 400],
    [
      'two Host headers',
      'GET /v1/products HTTP/1.1\r\nHost: {host}\r\nHost: evil.example\r\nConnection: close\r\n\r\n',
      400,
    ],
    [
      'two Authorization headers',
      `GET /v1/orders HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer a\r\nAuthorization: Bearer b\r\nConnection: close\r\n\r\n`,
      400,
    ],
    ['two Content-Types', post('Content-Type: text/plain\r\nContent-Length: 2\r\n', '{}'), 400],
    ['garbage instead of a request line', '\u0016\u0003\u0001\u0000\u00a5\u0001\r\n\r\n', 400],
    ['an empty request line', '\r\n\r\n\r\nGET\r\n\r\n', 400],
  ];
  return cases.map(([name, raw, expectStatus]) => ({
    family: 'protocol-abuse',
    name,
    method: raw.split(' ')[0]!,
    path: '/v1/auth/login',
    caller: 'anonymous',
    raw,
    expectStatus,
  }));
}

/** The whole corpus, built against one booted system's genuine tokens. */
export function hostileRequests(ctx: CorpusContext): HostileRequest[] {
  return [
    ...jwtAttacks(ctx),
    ...apiKeyGarbage(),
    ...malformedJson(),
    ...deepOrHuge(),
    ...oversizeStrings(),
    ...oversizeBodies(),
    ...wrongTypes(),
    ...unknownFields(),
    ...prototypePollution(),
    ...absurdNumbers(),
    ...badEnums(),
    ...sqlInjection(),
    ...pathTraversal(),
    ...headerInjection(),
    ...wrongContentTypes(),
    ...hugeHeaders(),
    ...methodAbuse(),
    ...queryAbuse(),
    ...protocolAbuse(),
  ];
}
