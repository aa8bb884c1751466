import { InvalidRequest, NotFound } from '@citadel/transport';
import { MAX_PRICE_CENTS } from './catalogue.js';

/** A price the catalogue cannot hold: prices are positive integer minor units, capped. */
export class InvalidPrice extends InvalidRequest {
  constructor() {
    super(`price_cents must be an integer in 1..${MAX_PRICE_CENTS}`);
  }
}

/** No product with that SKU is on sale. */
export class ProductNotFound extends NotFound {
  constructor() {
    super('product not found');
  }
}
