// Attack point 3 (the README's attack table): a service calls payment without authorization. Payment
// takes the caller's identity from its certificate (SPIFFE URI SAN) and accepts only
// order, per the east-west policy; it also re-checks the user context. Every server holds
// every method it answers to that policy, its gRPC health service included.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { GRPC_SERVICES } from '@citadel/config';
import { serviceClientConstructor } from '@citadel/contracts';
import { auditVerify } from './support/audit-verify.js';
import { grpcClient, internalJwtFor, probe } from './support/grpc.js';
import { api, placeOrder, tokenFor, userIdOf } from './support/http.js';
import { e2eState } from './support/state.js';

describe('attack 3: unauthorized service-to-service calls', () => {
  let aliceJwt: string;
  let aliceId: string;

  beforeAll(async () => {
    aliceJwt = await internalJwtFor(await tokenFor('alice'), 'order');
    aliceId = await userIdOf('alice');
  });

  const charge = (id: string) => ({
    order_id: `rogue-${Date.now()}`,
    user_id: id,
    amount_cents: 100,
    currency: 'EUR',
    idempotency_key: `rogue-${Math.random()}`,
  });

  it.each(['analytics', 'gateway'] as const)(
    'a %s certificate (valid Citadel CA) calling payment.Charge with a genuine user JWT → PERMISSION_DENIED',
    async (caller) => {
      const client = grpcClient('payment', caller);
      const outcome = await client.rpc.charge(charge(aliceId), aliceJwt);
      client.close();
      expect(outcome.code).toBe(status.PERMISSION_DENIED);
    },
  );

  it('analytics may not reach order or auth either', async () => {
    expect((await probe('order', 'analytics', (rpc) => rpc.listProducts({}))).code).toBe(
      status.PERMISSION_DENIED,
    );
    expect((await probe('auth', 'analytics', (rpc) => rpc.getJwks({}))).code).toBe(
      status.PERMISSION_DENIED,
    );
  });

  it('order may fetch the JWKS from auth but not log users in or mint tokens', async () => {
    const client = grpcClient('auth', 'order');
    expect((await client.rpc.getJwks({})).code).toBe(status.OK);
    expect((await client.rpc.login({ email: 'alice@citadel.test', password: 'x' })).code).toBe(
      status.PERMISSION_DENIED,
    );
    expect(
      (
        await client.rpc.exchangeToken({
          access_token: await tokenFor('alice'),
          audience: 'payment',
        })
      ).code,
    ).toBe(status.PERMISSION_DENIED);
    client.close();
  });

  it('order (allowed caller) charging one user with another user JWT → PERMISSION_DENIED', async () => {
    const client = grpcClient('payment', 'order');
    const bobId = await userIdOf('bob');
    expect((await client.rpc.charge(charge(bobId), aliceJwt)).code).toBe(status.PERMISSION_DENIED);
    expect((await client.rpc.charge(charge(aliceId), aliceJwt)).code).toBe(status.OK);
    client.close();
  });

  it('a customer JWT cannot refund through order’s certificate someone else’s payment', async () => {
    const bobsOrder = await placeOrder('bob');
    const client = grpcClient('payment', 'order');
    const outcome = await client.rpc.refund(
      { payment_id: bobsOrder.payment_id, reason: 'rogue' },
      aliceJwt,
    );
    client.close();
    expect(outcome.code).toBe(status.PERMISSION_DENIED);
  });
});

/** Every method a Citadel gRPC server answers: its contract's, and the standard health service's. */
function servedMethods(service: (typeof GRPC_SERVICES)[number]) {
  const contract = Object.values(serviceClientConstructor(service).service).map((method) => ({
    path: method.path,
    streaming: method.responseStream,
  }));
  return [
    ...contract,
    { path: '/grpc.health.v1.Health/Check', streaming: false },
    { path: '/grpc.health.v1.Health/Watch', streaming: true },
  ];
}

/** A raw client holding `credentials`, which sends any path an empty request. */
function rawClient(service: (typeof GRPC_SERVICES)[number], credentials: grpc.ChannelCredentials) {
  const client = new grpc.Client(`127.0.0.1:${e2eState().ports[service]}`, credentials, {
    'grpc.ssl_target_name_override': `${service}.citadel.local`,
  });
  const raw = (value: Buffer) => value;
  const call = (
    target: { path: string; streaming: boolean },
    traceparent?: string,
  ): Promise<{ code: grpc.status; response?: Buffer }> => {
    const metadata = new grpc.Metadata();
    if (traceparent) metadata.set('traceparent', traceparent);
    const options = { deadline: Date.now() + 8_000 };
    const empty = Buffer.alloc(0);
    return new Promise((resolve) => {
      if (!target.streaming) {
        client.makeUnaryRequest(
          target.path,
          raw,
          raw,
          empty,
          metadata,
          options,
          (error, response) =>
            resolve(error ? { code: error.code } : { code: grpc.status.OK, response }),
        );
        return;
      }
      const stream = client.makeServerStreamRequest(
        target.path,
        raw,
        raw,
        empty,
        metadata,
        options,
      );
      // A stream that answers at all got through: that is the failure this looks for.
      stream.on('data', (response: Buffer) => {
        stream.cancel();
        resolve({ code: grpc.status.OK, response });
      });
      stream.on('error', (error: grpc.ServiceError) => resolve({ code: error.code }));
    });
  };
  return { call, close: () => client.close() };
}

const credentialsOf = (identity: 'analytics' | 'gateway') => {
  const state = e2eState();
  const files = state.mesh.identities[identity];
  return grpc.credentials.createSsl(
    fs.readFileSync(state.mesh.ca),
    fs.readFileSync(files.key),
    fs.readFileSync(files.cert),
  );
};

/** The `<callee>.<method>` an audit record names: the bare name for the contract's own. */
const auditTarget = (service: string, fullPath: string) =>
  fullPath.startsWith('/grpc.health.v1.')
    ? `${service}.${fullPath.slice(1)}`
    : `${service}.${fullPath.slice(fullPath.lastIndexOf('/') + 1)}`;

interface AuditEntry {
  action: string;
  outcome: string;
  target: string;
  caller_service: string;
  trace_id: string;
  detail: string;
}

describe('attack 3: a certificate outside the policy, against every method of every service', () => {
  it('gets PERMISSION_DENIED from each, health checks included, and each denial is audited', async () => {
    const attempts = GRPC_SERVICES.flatMap((service) =>
      servedMethods(service).map((method) => {
        const traceId = randomBytes(16).toString('hex');
        return {
          service,
          method,
          traceId,
          traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
        };
      }),
    );
    // payment's trail is no admin's to read through the gateway: its record count instead.
    const paymentRecords = async () =>
      Number(/^payment\s+ok\s+(\d+) records/m.exec((await auditVerify()).stdout)?.[1]);
    const paymentBefore = await paymentRecords();

    const clients = new Map(
      GRPC_SERVICES.map((service) => [service, rawClient(service, credentialsOf('analytics'))]),
    );
    // All at once, as an attacker would send them.
    const outcomes = await Promise.all(
      attempts.map(async (attempt) => ({
        path: `${attempt.service} ${attempt.method.path}`,
        code: (await clients.get(attempt.service)!.call(attempt.method, attempt.traceparent)).code,
      })),
    );
    for (const client of clients.values()) client.close();
    expect(outcomes).toEqual(
      attempts.map((attempt) => ({
        path: `${attempt.service} ${attempt.method.path}`,
        code: status.PERMISSION_DENIED,
      })),
    );
    expect(attempts.filter((attempt) => attempt.method.path.includes('Health'))).toHaveLength(
      2 * GRPC_SERVICES.length,
    );

    // Each refusal is one record in the callee's own trail, refused by the policy itself
    // (`caller-not-allowed`: no handler, no health check ran), under the call's trace id.
    const admin = await tokenFor('ada');
    for (const service of ['auth', 'order'] as const) {
      const expected = attempts
        .filter((attempt) => attempt.service === service)
        .map((attempt) => ({
          action: 'rpc.denied',
          outcome: 'denied',
          target: auditTarget(service, attempt.method.path),
          caller_service: 'analytics',
          trace_id: attempt.traceId,
          detail: 'caller-not-allowed',
        }));
      const traceIds = new Set(expected.map((record) => record.trace_id));
      let records: AuditEntry[] = [];
      // The record is written after the caller has its answer: wait for it, bounded.
      for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(100)) {
        const response = await api(
          'GET',
          `/v1/admin/audit?service=${service}&action=rpc.denied&actor=service:analytics&limit=200`,
          { token: admin },
        );
        expect(response.status).toBe(200);
        records = (response.json as AuditEntry[]).filter((record) => traceIds.has(record.trace_id));
        if (records.length >= expected.length) break;
      }
      const seen = records.map(({ action, outcome, target, caller_service, trace_id, detail }) => ({
        action,
        outcome,
        target,
        caller_service,
        trace_id,
        detail,
      }));
      const byTrace = (a: { trace_id: string }, b: { trace_id: string }) =>
        a.trace_id.localeCompare(b.trace_id);
      expect(seen.sort(byTrace)).toEqual(expected.sort(byTrace));
    }
    const toPayment = attempts.filter((attempt) => attempt.service === 'payment').length;
    let paymentAfter = paymentBefore;
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(100)) {
      paymentAfter = await paymentRecords();
      if (paymentAfter >= paymentBefore + toPayment) break;
    }
    // At least one record per refusal (a record of an earlier test may land meanwhile), and
    // payment's log names each refusal, one per call, under its trace id.
    expect(paymentAfter - paymentBefore).toBeGreaterThanOrEqual(toPayment);
    const logged = fs
      .readFileSync(path.join(e2eState().home, 'logs', 'payment.log'), 'utf8')
      .split('\n')
      .filter((line) => line.includes('"access.denied"'))
      .map((line) => JSON.parse(line) as { traceId?: string; caller?: string; reason?: string });
    for (const attempt of attempts.filter((attempt) => attempt.service === 'payment')) {
      expect(logged.filter((line) => line.traceId === attempt.traceId)).toEqual([
        expect.objectContaining({ caller: 'analytics', reason: 'caller-not-allowed' }),
      ]);
    }
  });

  it('still answers the health check to the gateway, which asks it for /readyz', async () => {
    for (const service of ['auth', 'order'] as const) {
      const client = rawClient(service, credentialsOf('gateway'));
      const outcome = await client.call({ path: '/grpc.health.v1.Health/Check', streaming: false });
      client.close();
      // HealthCheckResponse { status: SERVING }.
      expect(outcome).toEqual({ code: status.OK, response: Buffer.from([0x08, 0x01]) });
    }
    expect((await api('GET', '/readyz')).status).toBe(200);
  });
});
