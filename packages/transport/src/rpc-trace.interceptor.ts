import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { startServerSpan, type ServerSpan } from '@citadel/observability';
import { callerServiceOf } from './peer-identity.js';

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
}

const HEALTH = '/grpc.health.v1.Health/';

/**
 * A grpc-js server interceptor, so it sees every call whatever answers it (a guard's
 * denial, the handler, a deadline): a server span per call, continuing the caller's
 * `traceparent` metadata, active while the handler runs (the guards read it to hand
 * the next hop its `traceparent`; the logger stamps its trace id); then one
 * `onHandled` event with the final status (or `DEADLINE_EXCEEDED`/`CANCELLED` when the call
 * ended without one). Health checks are polled, not served for anyone: they pass through
 * untraced.
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
        caller: callerServiceOf(call),
        status: name,
        code,
        duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
        trace_id: span.traceId,
      });
    };
    return new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            span = begin(metadata.get('traceparent')[0]);
            nextMetadata(metadata);
          },
          // A unary handler (guards included) is invoked from inside the half-close.
          onReceiveHalfClose: (nextHalfClose) => (span ? span.run(nextHalfClose) : nextHalfClose()),
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
