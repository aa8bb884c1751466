import { status } from '@grpc/grpc-js';

/**
 * What went wrong, in the caller's terms: the closed set every Citadel use case fails with.
 * Each kind is exactly one gRPC status (`GRPC_STATUS_OF`), and through it one HTTP status
 * at the gateway, so a use case names its failure and never picks a transport code.
 */
export type DomainErrorKind =
  | 'not-found'
  | 'not-allowed'
  | 'unauthenticated'
  | 'invalid'
  | 'conflict'
  | 'precondition'
  | 'busy'
  | 'unavailable';

/** The one mapping from a domain failure to the gRPC status its caller receives. */
export const GRPC_STATUS_OF: Readonly<Record<DomainErrorKind, status>> = {
  'not-found': status.NOT_FOUND,
  'not-allowed': status.PERMISSION_DENIED,
  unauthenticated: status.UNAUTHENTICATED,
  invalid: status.INVALID_ARGUMENT,
  conflict: status.ALREADY_EXISTS,
  precondition: status.FAILED_PRECONDITION,
  busy: status.RESOURCE_EXHAUSTED,
  unavailable: status.UNAVAILABLE,
};

/**
 * A failure a use case expects and names. `publicMessage` is all the caller ever reads, so
 * it is written for the caller: a security failure says little (who was refused and why
 * belongs in the audit record the use case writes, not here). `cause` keeps what went
 * wrong underneath for the log.
 */
export abstract class DomainError extends Error {
  abstract readonly kind: DomainErrorKind;

  constructor(
    readonly publicMessage: string,
    options?: ErrorOptions,
  ) {
    super(publicMessage, options);
    this.name = new.target.name;
  }
}

/** The thing asked for does not exist, or the caller may not learn that it does. */
export class NotFound extends DomainError {
  readonly kind = 'not-found';
  constructor(publicMessage = 'not found', options?: ErrorOptions) {
    super(publicMessage, options);
  }
}

/** The caller is known but may not do this. */
export class NotAllowed extends DomainError {
  readonly kind = 'not-allowed';
  constructor(publicMessage = 'permission denied', options?: ErrorOptions) {
    super(publicMessage, options);
  }
}

/** The caller could not be identified, or its credentials are not good. */
export class Unauthenticated extends DomainError {
  readonly kind = 'unauthenticated';
  constructor(publicMessage = 'authentication required', options?: ErrorOptions) {
    super(publicMessage, options);
  }
}

/** The request itself is malformed, whatever state the system is in. */
export class InvalidRequest extends DomainError {
  readonly kind = 'invalid';
}

/** The request collides with something that already exists. */
export class Conflict extends DomainError {
  readonly kind = 'conflict';
}

/** The request is well-formed but the state of what it acts on does not allow it. */
export class PreconditionFailed extends DomainError {
  readonly kind = 'precondition';
}

/**
 * Too much work is in flight, so this request was turned away unrun: nothing happened, and
 * the same request may be sent again later (unlike `Unavailable`, which cannot promise that).
 */
export class Busy extends DomainError {
  readonly kind = 'busy';
}

/** Something this use case depends on did not answer; the same request may work later. */
export class Unavailable extends DomainError {
  readonly kind = 'unavailable';
}
