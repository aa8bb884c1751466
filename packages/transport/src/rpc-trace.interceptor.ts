import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { traceOfCall } from '@citadel/observability';
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
  /** The call's trace: its server span's, else (no handler ran) its caller's. */
  trace_id: string | undefined;
  /** The call's server span, when its handler ran. */
  span_id: string | undefined;
}

const HEALTH = '/grpc.health.v1.Health/';

/**
 * A grpc-js server interceptor, so it sees every call whatever answers it (the east-west
 * policy's refusal, a guard's, the handler, a deadline): one `onHandled` event with the
 * final status (or `DEADLINE_EXCEEDED`/`CANCELLED` when the call ended without one) and
 * the call's trace ({@link traceOfCall}). The spans themselves are OpenTelemetry's grpc-js
 * instrumentation's. Health checks are polled, not served for anyone: they pass through
 * unreported (a refused one is still reported to `onDenied` by the policy).
 */
export function traceRpcCalls(
  onHandled?: (event: RpcHandledEvent) => void,
): grpc.ServerInterceptor {
  return (descriptor, call) => {
    const path = descriptor.path;
    if (path.startsWith(HEALTH)) return new grpc.ServerInterceptingCall(call);
    const started = performance.now();
    const method = path.slice(path.lastIndexOf('/') + 1);
    let request: grpc.Metadata | undefined;
    let reported = false;
    const report = (code: number) => {
      if (reported) return;
      reported = true;
      // The status is sent from the handler's context (its server span is active there),
      // or, for a call no handler answered, from none: the caller's trace then.
      const traced = traceOfCall(request);
      onHandled?.({
        method,
        // Read by the east-west interceptor already, once the metadata came.
        caller: request ? callerOfCall(call, request) : callerServiceOf(call),
        status: grpc.status[code] ?? String(code),
        code,
        duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
        trace_id: traced?.traceId,
        span_id: traced?.spanId,
      });
    };
    return new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            request = metadata;
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

/**
 * Whether the call ended because its deadline came. grpc-js's deadline timer can fire a
 * millisecond or two before `Date.now()` reads the deadline (timers and the wall clock
 * round apart), so a deadline that close counts as come.
 */
function pastDeadline(call: grpc.ServerInterceptingCallInterface): boolean {
  const deadline = call.getDeadline();
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  return at <= Date.now() + DEADLINE_TIMER_SLACK_MS;
}

const DEADLINE_TIMER_SLACK_MS = 5;
