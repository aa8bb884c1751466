import 'reflect-metadata';
import { status } from '@grpc/grpc-js';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { grpcFailureOf } from '@citadel/transport';
import { MonitorModule } from '../app.module.js';
import { openMonitor, ServiceChain, T0, type MonitorHarness } from '../testing/monitor-harness.js';
import { ChainsController } from './chains.controller.js';
import { ChainBroken, ChainNotNamed, InvalidDelivery } from './delivery.errors.js';

/** The module as main.ts composes it, and the gRPC status codes the forwarder acts on. */
describe('ChainsController (the composed module, embedded PostgreSQL)', () => {
  let monitor: MonitorHarness;
  let app: INestApplicationContext;
  let controller: ChainsController;
  /** The status the call ends with, as every Citadel gRPC server maps what a handler throws. */
  const codeOf = (promise: Promise<unknown>) =>
    promise.then(
      () => status.OK,
      (error: unknown) =>
        grpcFailureOf(error, () => {
          throw error;
        }).code,
    );

  beforeAll(async () => {
    monitor = await openMonitor();
    app = await NestFactory.createApplicationContext(
      MonitorModule.forRoot({
        db: monitor.database.db,
        audit: monitor.audit,
        log: { warn: () => undefined, error: () => undefined },
      }),
      { logger: false },
    );
    controller = app.get(ChainsController);
  });
  afterAll(async () => {
    await app.close();
    await monitor.close();
  });

  it('Deliver extends the chain the certificate names; GetHead and ListChainHeads answer it', async () => {
    const chain = new ServiceChain('order');
    chain.append({}, T0);
    expect(await controller.deliver(chain.delivery(), { caller: 'order' })).toMatchObject({
      service: 'order',
      seq: 1,
      hash: chain.head.hash,
      broken: false,
    });
    expect(await controller.getHead({}, { caller: 'order' })).toMatchObject({ seq: 1 });
    expect((await controller.listChainHeads()).heads).toEqual([
      expect.objectContaining({ service: 'order', seq: 1, hash: chain.head.hash }),
    ]);
    expect(await controller.listChainHashes({ service: 'order', after_seq: 0, limit: 0 })).toEqual({
      hashes: [{ seq: 1, hash: chain.head.hash }],
    });
  });

  it("another service's records -> INVALID_ARGUMENT; a broken chain -> FAILED_PRECONDITION", async () => {
    const payment = new ServiceChain('payment');
    payment.append({}, T0);
    const foreign = controller.deliver(payment.delivery(), { caller: 'auth' });
    await expect(foreign).rejects.toBeInstanceOf(InvalidDelivery);
    expect(await codeOf(foreign)).toBe(status.INVALID_ARGUMENT);
    payment.append({}, T0 + 1000);
    const gap = payment.delivery(1);
    const refused = controller.deliver(gap, { caller: 'payment' });
    await expect(refused).rejects.toBeInstanceOf(ChainBroken);
    expect(await codeOf(refused)).toBe(status.FAILED_PRECONDITION);
    expect(await controller.getHead({}, { caller: 'payment' })).toMatchObject({
      seq: 0,
      broken: true,
    });
  });

  it('ListChainHashes without a chain -> INVALID_ARGUMENT', async () => {
    const unnamed = controller.listChainHashes({ service: '', after_seq: 0, limit: 0 });
    await expect(unnamed).rejects.toBeInstanceOf(ChainNotNamed);
    expect(await codeOf(unnamed)).toBe(status.INVALID_ARGUMENT);
  });
});
