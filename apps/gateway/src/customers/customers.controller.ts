import { Controller, Delete, Get, HttpCode, Inject } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Customer } from '@citadel/contracts';
import { MeResponseDto } from '../auth/login.request.dto.js';
import { AUTH_CLIENT, type AuthClient } from '../downstream.js';
import { ApiPathId, PathId } from '../params.js';
import { Authenticated } from '../session/permission.guard.js';
import { CurrentPrincipal, type Principal } from '../session/principal.js';
import { TokenExchange } from '../session/token-exchange.js';

/** Customer administration lives in auth; the JWT for these calls has aud = auth. */
@ApiTags('customers')
@Controller('v1/customers')
export class CustomersController {
  constructor(
    @Inject(AUTH_CLIENT) private readonly auth: AuthClient,
    private readonly exchange: TokenExchange,
  ) {}

  @Get()
  @Authenticated('customers:read')
  @ApiOkResponse({ type: [MeResponseDto] })
  async list(@CurrentPrincipal() principal: Principal): Promise<Customer[]> {
    const options = await this.exchange.callOptions(principal, 'auth');
    const { customers } = await this.auth.rpc.listCustomers({}, options);
    return customers;
  }

  /** Deletes the account and kills its tokens, here and at auth, at once. */
  @Delete(':id')
  @ApiPathId()
  @HttpCode(204)
  @Authenticated('customers:delete')
  @ApiNoContentResponse()
  async delete(@PathId() id: string, @CurrentPrincipal() principal: Principal): Promise<void> {
    const options = await this.exchange.callOptions(principal, 'auth');
    await this.auth.rpc.deleteCustomer({ id }, options);
    await this.exchange.revoke({ userId: id });
  }
}
