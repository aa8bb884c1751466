import { jest } from '@jest/globals';
import type { Delivery } from '@citadel/audit';
import type { ChainHead } from '@citadel/contracts';
import { monitorPort } from './service-main.js';

describe('monitorPort: how the forwarder reaches the monitor', () => {
  const head: ChainHead = {
    service: 'order',
    seq: 7,
    hash: 'ab'.repeat(32),
    received_at: '2026-12-07T06:00:00.000Z',
    broken: false,
  };
  const getHead = jest.fn(async () => head);
  const deliver = jest.fn(async () => head);
  const port = monitorPort({ rpc: { getHead, deliver } } as unknown as Parameters<
    typeof monitorPort
  >[0]);
  const signal = new AbortController().signal;

  beforeEach(() => {
    getHead.mockClear();
    deliver.mockClear();
  });

  it('asks GetHead with an empty request: the monitor reads the chain from the certificate', async () => {
    expect(await port.getHead(signal)).toBe(head);
    expect(getHead).toHaveBeenCalledWith({}, { signal });
  });

  it('sends a delivery as it is, abortable', async () => {
    const delivery: Delivery = { records: [], source_head_seq: 7, source_head_hash: head.hash };
    expect(await port.deliver(delivery, signal)).toBe(head);
    expect(deliver).toHaveBeenCalledWith(delivery, { signal });
  });
});
