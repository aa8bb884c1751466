import { InvalidRequest, NotFound } from '@citadel/transport';

/** An API key request that is malformed or asks for more than its owner may delegate. */
export class InvalidApiKeyRequest extends InvalidRequest {}

/** The owner already holds as many keys as an account may. */
export class TooManyApiKeys extends InvalidRequest {
  constructor(max: number) {
    super(`at most ${max} API keys per account`);
  }
}

/** No such key for this owner: another owner's key is not found either. */
export class ApiKeyNotFound extends NotFound {
  constructor() {
    super('API key not found');
  }
}
