import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

/** What the guards established about one gRPC call, before its handler runs. */
export interface CallContext {
  /** The calling service, from its mTLS certificate. */
  caller: string;
  /** The user the call acts for, from the verified internal JWT (absent on public methods). */
  user?: UserContext;
  /** The raw internal JWT, forwarded when this service calls the next hop. */
  jwt?: string;
  /**
   * The `traceparent` this call hands the next hop: its own server span as the parent
   * (so its trace id is the call's), or what the caller sent when the call is untraced.
   */
  traceparent?: string;
}

export interface UserContext {
  id: string;
  role: string;
  email?: string;
  /** Set when the credential is scoped (an API key): the permissions it is limited to. */
  scopes?: string[];
}

const contexts = new WeakMap<object, CallContext>();

export function setCallContext(call: object, context: CallContext): void {
  contexts.set(call, context);
}

/** The W3C trace id of the call (from its traceparent), for audit records and logs. */
export function traceIdOfCall(context: CallContext): string | undefined {
  return context.traceparent?.split('-')[1];
}

export function callContextOf(call: object): CallContext | undefined {
  return contexts.get(call);
}

/** Handler parameter: the call's {@link CallContext}, set by the guards. */
export const CurrentCall = createParamDecorator((_data: unknown, ctx: ExecutionContext) => {
  const context = callContextOf(ctx.getArgByIndex(2) as object);
  if (!context) throw new Error('CurrentCall used on a call no Citadel guard has seen');
  return context;
});
