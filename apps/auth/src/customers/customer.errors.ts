import { NotFound } from '@citadel/transport';

/** No customer account with that id (staff accounts are not customers). */
export class CustomerNotFound extends NotFound {
  constructor() {
    super('customer not found');
  }
}
