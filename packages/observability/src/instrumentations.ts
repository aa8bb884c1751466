import { IncomingMessage } from 'node:http';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { clientContextOf } from './edge-propagator.js';

/**
 * The instrumentations a Citadel service runs. Always the two that carry the trace: the
 * HTTP server (the gateway's edge) and grpc-js (every east-west call: client spans inject
 * `traceparent` into the call's metadata, server spans continue it around the handler), so
 * every log line, error body and audit record of a request shares its trace id, exported
 * or not. When spans are exported, also Fastify (a span per hook and handler), PostgreSQL
 * (a span per query) and Redis (a span per command): spans nobody records cost CPU on
 * every request and tell nothing, so they are built only for a collector (bench/README.md
 * measures what they cost).
 *
 * At the edge, the HTTP server span is the root of the request's trace (the edge
 * propagator extracts nothing) and a client's valid `traceparent` is added to it as a link.
 */
export function citadelInstrumentations(edge: boolean, exporting: boolean): Instrumentation[] {
  const carriers: Instrumentation[] = [
    new HttpInstrumentation({
      requestHook: edge
        ? (span, request) => {
            if (!(request instanceof IncomingMessage)) return;
            const client = clientContextOf(request.headers.traceparent);
            if (client) span.addLink({ context: client });
          }
        : undefined,
    }),
    new GrpcInstrumentation(),
  ];
  if (!exporting) return carriers;
  return [
    ...carriers,
    new FastifyOtelInstrumentation({ registerOnInitialization: true }),
    new PgInstrumentation(),
    new IORedisInstrumentation(),
  ];
}
