import { InvalidRequest, PreconditionFailed } from '@citadel/transport';
import type { ChainBreakFinding } from './chain-continuity.js';

/**
 * A delivery that is not a well-formed piece of the caller's own chain: records of another
 * service, more than a delivery may carry, malformed fields. Nothing of it is stored.
 * INVALID_ARGUMENT: the forwarder's request is wrong, resending it will not help.
 */
export class InvalidDelivery extends InvalidRequest {}

/**
 * The caller's chain does not continue the copy the monitor holds, or was found broken
 * before: refused until an operator has looked. The caller learns no more than that
 * (FAILED_PRECONDITION); the break is in the monitor's alerts and its own audit trail.
 */
export class ChainBroken extends PreconditionFailed {
  constructor(
    readonly service: string,
    readonly finding?: ChainBreakFinding,
  ) {
    super(`the ${service} chain does not continue the monitor's copy; deliveries are refused`);
  }
}

/** A request for a chain's hashes that names no chain. */
export class ChainNotNamed extends InvalidRequest {
  constructor() {
    super('service is required');
  }
}
