import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type * as grpc from '@grpc/grpc-js';

/**
 * What the east-west interceptor, then the guards, established about one gRPC call,
 * before its handler runs.
 */
export interface CallContext {
  /** The calling service, from its mTLS certificate. */
  caller: string;
  /** The user the call acts for, from the verified internal JWT (absent on public methods). */
  user?: UserContext;
  /** The raw internal JWT, forwarded when this service calls the next hop. */
  jwt?: string;
}

export interface UserContext {
  id: string;
  role: string;
  email?: string;
  /** Set when the credential is scoped (an API key): the permissions it is limited to. */
  scopes?: string[];
}

/**
 * Each allowed call's context, by the metadata grpc-js hands on to its handler: the one
 * object a server interceptor and the handler's call share through public API (the
 * handler's `call.metadata`). A WeakMap, so a context dies with its call.
 */
const contexts = new WeakMap<grpc.Metadata, CallContext>();

/** Set by the east-west interceptor for a call it lets through (`east-west.interceptor.ts`). */
export function setCallContext(metadata: grpc.Metadata, context: CallContext): void {
  contexts.set(metadata, context);
}

/** The context of a handler's call (`call.metadata` is the metadata the interceptors saw). */
export function callContextOf(call: { metadata: grpc.Metadata }): CallContext | undefined {
  return contexts.get(call.metadata);
}

/** Handler parameter: the call's {@link CallContext}, set by the interceptor and the guards. */
export const CurrentCall = createParamDecorator((_data: unknown, ctx: ExecutionContext) => {
  const context = callContextOf(ctx.getArgByIndex(2) as { metadata: grpc.Metadata });
  if (!context) throw new Error('CurrentCall used on a call the east-west policy has not seen');
  return context;
});
