import { Body, Controller, Delete, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiTags } from '@nestjs/swagger';
import { AUTH_CLIENT, type AuthClient } from '../downstream.js';
import { ApiPathId, PathId } from '../params.js';
import { Authenticated } from '../session/permission.guard.js';
import { CurrentPrincipal, type Principal } from '../session/principal.js';
import { TokenExchange } from '../session/token-exchange.js';
import { ApiOkListResponse } from '../docs/openapi.js';
import {
  ApiKeyDto,
  CreateApiKeyRequestDto,
  CreatedApiKeyDto,
  MAX_KEYS_PER_USER,
} from './api-keys.request.dto.js';

/**
 * API keys for machine clients. A key is used like an access token
 * (`Authorization: Bearer cit_ak_…`): same exchange, same rate limits, but limited to its
 * scopes. Keys cannot manage keys.
 */
@ApiTags('api-keys')
@Controller('v1/api-keys')
export class ApiKeysController {
  constructor(
    @Inject(AUTH_CLIENT) private readonly auth: AuthClient,
    private readonly exchange: TokenExchange,
  ) {}

  @Post()
  @HttpCode(201)
  @Authenticated('api-keys:manage')
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  async create(
    @Body() body: CreateApiKeyRequestDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CreatedApiKeyDto> {
    const { key, secret } = await this.auth.rpc.createApiKey(
      { name: body.name, scopes: body.scopes, ttl_days: body.ttl_days ?? 0 },
      await this.options(principal),
    );
    if (!key) throw new Error('auth answered CreateApiKey without the key');
    return { ...key, secret };
  }

  @Get()
  @Authenticated('api-keys:manage')
  @ApiOkListResponse(ApiKeyDto, MAX_KEYS_PER_USER)
  async list(@CurrentPrincipal() principal: Principal): Promise<ApiKeyDto[]> {
    const { keys } = await this.auth.rpc.listApiKeys({}, await this.options(principal));
    return keys ?? [];
  }

  /** Revoked at auth and dropped from every replica's exchange cache: the key is dead at once. */
  @Delete(':id')
  @ApiPathId()
  @HttpCode(204)
  @Authenticated('api-keys:manage')
  @ApiNoContentResponse()
  async revoke(@PathId() id: string, @CurrentPrincipal() principal: Principal): Promise<void> {
    await this.auth.rpc.revokeApiKey({ id }, await this.options(principal));
    await this.exchange.revoke({ apiKeyId: id });
  }

  private options(principal: Principal) {
    return this.exchange.callOptions(principal, 'auth');
  }
}
