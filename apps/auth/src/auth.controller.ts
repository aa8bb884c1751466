import { Controller } from '@nestjs/common';
import { GrpcMethod, Payload } from '@nestjs/microservices';
import { PublicMethod, RequirePermission } from '@citadel/auth';
import type {
  DeleteCustomerRequest,
  ExchangeTokenRequest,
  GetJwksResponse,
  Jwk,
  ListCustomersResponse,
  LoginRequest,
  LogoutRequest,
} from '@citadel/contracts';
import { CurrentCall, invalidArgument, type CallContext } from '@citadel/transport';
import { CustomerService } from './customers/customer.service.js';
import { KeyRing } from './signing/key-ring.js';
import { TokenService } from './tokens/token.service.js';

const text = (value: unknown, field: string, max: number): string => {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw invalidArgument(`${field} must be a string of 1..${max} characters`);
  }
  return value;
};

/** gRPC transport for the auth service: translate, delegate, translate back. */
@Controller()
export class AuthController {
  constructor(
    private readonly tokens: TokenService,
    private readonly customers: CustomerService,
    private readonly keys: KeyRing,
  ) {}

  @GrpcMethod('AuthService', 'Login')
  @PublicMethod()
  login(@Payload() request: LoginRequest) {
    return this.tokens.login(
      text(request.email, 'email', 254),
      text(request.password, 'password', 1024),
    );
  }

  @GrpcMethod('AuthService', 'Logout')
  @PublicMethod()
  async logout(@Payload() request: LogoutRequest) {
    await this.tokens.logout(text(request.access_token, 'access_token', 256));
    return {};
  }

  @GrpcMethod('AuthService', 'ExchangeToken')
  @PublicMethod()
  exchange(@Payload() request: ExchangeTokenRequest, @CurrentCall() call: CallContext) {
    return this.tokens.exchange(
      call.caller,
      text(request.access_token, 'access_token', 256),
      text(request.audience, 'audience', 64),
      Number.isSafeInteger(request.ttl_seconds) ? request.ttl_seconds : 0,
    );
  }

  @GrpcMethod('AuthService', 'GetJwks')
  @PublicMethod()
  getJwks(): GetJwksResponse {
    return { keys: this.keys.jwks() as Jwk[] };
  }

  @GrpcMethod('AuthService', 'ListCustomers')
  @RequirePermission('customers:read')
  async listCustomers(): Promise<ListCustomersResponse> {
    return { customers: await this.customers.list() };
  }

  @GrpcMethod('AuthService', 'DeleteCustomer')
  @RequirePermission('customers:delete')
  async deleteCustomer(@Payload() request: DeleteCustomerRequest) {
    await this.customers.delete(text(request.id, 'id', 64));
    return {};
  }
}
