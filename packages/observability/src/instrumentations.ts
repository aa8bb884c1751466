import { IncomingMessage } from 'node:http';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { clientContextOf } from './edge-propagator.js';

/**
 * The instrumentations every Citadel service runs: the HTTP server and Fastify (the
 * gateway's edge), grpc-js (every east-west call: client spans inject `traceparent` into
 * the call's metadata, server spans continue it around the handler), PostgreSQL and Redis.
 *
 * At the edge, the HTTP server span is the root of the request's trace (the edge
 * propagator extracts nothing) and a client's valid `traceparent` is added to it as a link.
 */
export function citadelInstrumentations(edge: boolean): Instrumentation[] {
  return [
    new HttpInstrumentation({
      requestHook: edge
        ? (span, request) => {
            if (!(request instanceof IncomingMessage)) return;
            const client = clientContextOf(request.headers.traceparent);
            if (client) span.addLink({ context: client });
          }
        : undefined,
    }),
    new FastifyOtelInstrumentation({ registerOnInitialization: true }),
    new GrpcInstrumentation(),
    new PgInstrumentation(),
    new IORedisInstrumentation(),
  ];
}
