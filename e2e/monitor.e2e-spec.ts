// The security monitor on the suite's system: every service's audit records reach it, and
// audit:verify finds each service's chain equal to the monitor's copy. A service can only
// extend its own chain there, whatever its records claim, and nothing but a service of the
// registry may deliver.
import { status } from '@grpc/grpc-js';
import { GRPC_SERVICES } from '@citadel/config';
import type { AuditRecord, DeliverRequest } from '@citadel/contracts';
import {
  auditVerify,
  hashOf,
  monitorCopy,
  monitorHeads,
  untilDelivered,
} from './support/audit-verify.js';
import { grpcClient } from './support/grpc.js';
import { api, placeOrder, tokenFor } from './support/http.js';

/** Order's own record of `action` on `target`, as an admin reads it through the API. */
async function orderRecord(action: string, target: string): Promise<AuditRecord> {
  const response = await api('GET', `/v1/admin/audit?service=order&action=${action}&limit=200`, {
    token: await tokenFor('ada'),
  });
  expect(response.status).toBe(200);
  const record = (response.json as AuditRecord[]).find((candidate) => candidate.target === target);
  if (!record) throw new Error(`order holds no ${action} record of ${target}`);
  return record;
}

/** A record that continues `head` exactly as the chain's own service would write it. */
function continuation(service: string, head: { seq: number; hash: string }): AuditRecord {
  const record = {
    seq: head.seq + 1,
    time: new Date().toISOString(),
    service,
    actor: 'service:order',
    action: 'payment.refund',
    target: 'forged-payment',
    outcome: 'ok',
    caller_service: 'order',
    trace_id: '',
    detail: 'amount_cents=99999 currency=EUR',
    prev_hash: head.hash,
  };
  return { ...record, hash: hashOf(record) };
}

describe('monitor: every service delivers its own audit records', () => {
  it('an order and its cancel reach the monitor, and audit:verify finds every chain equal to its copy', async () => {
    const order = await placeOrder('dave');
    const cancelled = await api('POST', `/v1/orders/${order.id}/cancel`, {
      token: await tokenFor('dave'),
    });
    expect(cancelled.status).toBe(200);

    // The cancel's refund is recorded at payment too: both chains reach the monitor.
    await untilDelivered(['order', 'payment']);
    const copy = await monitorCopy('order');
    for (const action of ['order.create', 'order.cancel']) {
      const record = await orderRecord(action, order.id);
      expect(copy).toContainEqual({ seq: record.seq, hash: record.hash });
    }

    const { code, stdout } = await auditVerify();
    for (const service of GRPC_SERVICES)
      expect(stdout).toMatch(new RegExp(`^${service}\\s+ok\\s`, 'm'));
    expect(stdout).toMatch(/^order\s+ok\s+\d+ records, \d+ held by the monitor$/m);
    expect(code).toBe(0);
  });

  it("order delivering a perfect continuation of payment's chain → INVALID_ARGUMENT, both chains untouched", async () => {
    await untilDelivered(['order', 'payment']);
    const before = await monitorHeads();
    const payment = before.get('payment')!;
    const own = before.get('order')!;
    const request: DeliverRequest = {
      records: [continuation('payment', payment)],
      // Order's true head, so only the foreign record can be what is refused.
      source_head_seq: own.seq,
      source_head_hash: own.hash,
    };
    const client = grpcClient('monitor', 'order');
    const outcome = await client.rpc.deliver(request);
    client.close();
    expect(outcome.code).toBe(status.INVALID_ARGUMENT);

    const after = await monitorHeads();
    expect(after.get('payment')).toEqual(payment);
    expect(after.get('order')).toMatchObject({ seq: own.seq, hash: own.hash, broken: false });
  });

  it.each(['gateway', 'analytics'] as const)(
    '%s calling Deliver → PERMISSION_DENIED by the east-west policy',
    async (as) => {
      const client = grpcClient('monitor', as);
      const outcome = await client.rpc.deliver({
        records: [],
        source_head_seq: 0,
        source_head_hash: '',
      });
      client.close();
      expect(outcome.code).toBe(status.PERMISSION_DENIED);
    },
  );

  it("the gateway reading a chain's hashes (the auditor's) → PERMISSION_DENIED", async () => {
    const client = grpcClient('monitor', 'gateway');
    const outcome = await client.rpc.listChainHashes({ service: 'order' });
    client.close();
    expect(outcome.code).toBe(status.PERMISSION_DENIED);
  });

  it('no client certificate, or plaintext → refused at the handshake', async () => {
    for (const as of ['no-client-cert', 'plaintext'] as const) {
      const client = grpcClient('monitor', as);
      const outcome = await client.rpc.getHead({});
      client.close();
      expect([as, outcome.code]).toEqual([as, status.UNAVAILABLE]);
    }
  });
});
