import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { startServerSpan, type ServerSpan } from '@citadel/observability';
import { callerOfCall, callerServiceOf } from './peer-identity.js';

/** One served gRPC call, as the access log records it. */
export interface RpcHandledEvent {
  /** `CreateOrder`. */
  method: string;
  /** The calling service, from its certificate (undefined when it presented none). */
  caller: string | undefined;
  /** The gRPC status name: `OK`, `PERMISSION_DENIED`, ... */
  status: string;
  code: number;
  duration_ms: number;
  trace_id: string;
  /** This call's server span. */
  span_id: string;
}

const HEALTH = '/grpc.health.v1.Health/';

/** Each traced call's server span, by the metadata grpc-js hands on to its handler. */
const spans = new WeakMap<grpc.Metadata, ServerSpan>();

/**
 * The server span {@link traceRpcCalls} started for the call this metadata arrived with
 * (`call.metadata` in a handler or guard), or undefined for an untraced call.
 */
export function serverSpanOf(metadata: grpc.Metadata | undefined): ServerSpan | undefined {
  return metadata ? spans.get(metadata) : undefined;
}

/**
 * What a call hands the next hop as its `traceparent`: its own server span (so the next
 * hop's span is its child), else, untraced, whatever valid-looking value the caller sent.
 */
export function nextHopTraceparent(metadata: grpc.Metadata | undefined): string | undefined {
  const span = serverSpanOf(metadata);
  if (span) return span.traceparent;
  const sent = metadata?.get('traceparent')[0];
  return typeof sent === 'string' ? sent : undefined;
}

/**
 * A grpc-js server interceptor, so it sees every call whatever answers it (the east-west
 * policy's refusal, a guard's, the handler, a deadline): a server span per call, continuing
 * the caller's `traceparent` metadata and kept with the call's metadata (the east-west
 * interceptor reads it there, {@link serverSpanOf}, to hand the next hop its `traceparent`
 * and the handler its trace id); then one `onHandled` event with the final status (or
 * `DEADLINE_EXCEEDED`/`CANCELLED` when the call ended without one). Health checks are
 * polled, not served for anyone: they pass through untraced (a refused one is still
 * reported to `onDenied` by the policy).
 */
export function traceRpcCalls(
  onHandled?: (event: RpcHandledEvent) => void,
): grpc.ServerInterceptor {
  return (descriptor, call) => {
    const path = descriptor.path;
    if (path.startsWith(HEALTH)) return new grpc.ServerInterceptingCall(call);
    const started = performance.now();
    const separator = path.lastIndexOf('/');
    let span: ServerSpan | undefined;
    let request: grpc.Metadata | undefined;
    const begin = (traceparent: unknown) =>
      startServerSpan(path.slice(1), traceparent, {
        'rpc.system': 'grpc',
        'rpc.service': path.slice(1, separator),
        'rpc.method': path.slice(separator + 1),
      });
    let reported = false;
    const report = (code: number) => {
      if (reported) return;
      reported = true;
      span ??= begin(undefined);
      const name = grpc.status[code] ?? String(code);
      span.end({ 'rpc.grpc.status_code': code }, code === grpc.status.OK ? undefined : name);
      onHandled?.({
        method: path.slice(separator + 1),
        // Read by the east-west interceptor already, once the metadata came.
        caller: request ? callerOfCall(call, request) : callerServiceOf(call),
        status: name,
        code,
        duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
        trace_id: span.traceId,
        span_id: span.spanId,
      });
    };
    return new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            request = metadata;
            span = begin(metadata.get('traceparent')[0]);
            spans.set(metadata, span);
            nextMetadata(metadata);
          },
          // grpc-js reports every closed stream here, after the status when there was one.
          // Without one, the deadline passed (grpc-js answered by itself) or the caller left.
          onCancel: () => {
            if (!reported)
              report(pastDeadline(call) ? grpc.status.DEADLINE_EXCEEDED : grpc.status.CANCELLED);
          },
        }),
      sendStatus: (status, nextStatus) => {
        report(status.code ?? grpc.status.UNKNOWN);
        nextStatus(status);
      },
    });
  };
}

function pastDeadline(call: grpc.ServerInterceptingCallInterface): boolean {
  const deadline = call.getDeadline();
  return (deadline instanceof Date ? deadline.getTime() : deadline) <= Date.now();
}
