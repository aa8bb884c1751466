import 'reflect-metadata';
import { status } from '@grpc/grpc-js';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import type { RpcException } from '@nestjs/microservices';
import { MonitorModule } from '../app.module.js';
import { openMonitor, ServiceChain, T0, type MonitorHarness } from '../testing/monitor-harness.js';
import { ChainsController } from './chains.controller.js';

/** The module as main.ts composes it, and the gRPC status codes the forwarder acts on. */
describe('ChainsController (the composed module, embedded PostgreSQL)', () => {
  let monitor: MonitorHarness;
  let app: INestApplicationContext;
  let controller: ChainsController;
  const codeOf = (promise: Promise<unknown>) =>
    promise.then(
      () => status.OK,
      (error: RpcException) => (error.getError() as { code: status }).code,
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
    expect(await controller.getHead({ caller: 'order' })).toMatchObject({ seq: 1 });
    expect((await controller.listHeads()).heads).toEqual([
      expect.objectContaining({ service: 'order', seq: 1, hash: chain.head.hash }),
    ]);
    expect(await controller.listHashes({ service: 'order' })).toEqual({
      hashes: [{ seq: 1, hash: chain.head.hash }],
    });
  });

  it("another service's records -> INVALID_ARGUMENT; a broken chain -> FAILED_PRECONDITION", async () => {
    const payment = new ServiceChain('payment');
    payment.append({}, T0);
    expect(await codeOf(controller.deliver(payment.delivery(), { caller: 'auth' }))).toBe(
      status.INVALID_ARGUMENT,
    );
    payment.append({}, T0 + 1000);
    const gap = payment.delivery(1);
    expect(await codeOf(controller.deliver(gap, { caller: 'payment' }))).toBe(
      status.FAILED_PRECONDITION,
    );
    expect(await controller.getHead({ caller: 'payment' })).toMatchObject({
      seq: 0,
      broken: true,
    });
  });
});
