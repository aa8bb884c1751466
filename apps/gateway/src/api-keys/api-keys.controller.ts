import { Body, Controller, Delete, Get, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { CreatedApiKey, ListApiKeysResponse } from '@citadel/contracts';
import { AUTH_CLIENT, type ServiceClient } from '../downstream.js';
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
 * API keys for machine clients (seed 003). A key is used like an access token
 * (`Authorization: Bearer cit_ak_…`): same exchange, same rate limits, but limited to its
 * scopes. Keys cannot manage keys.
 */
@ApiTags('api-keys')
@Controller('v1/api-keys')
export class ApiKeysController {
  constructor(
    @Inject(AUTH_CLIENT) private readonly auth: ServiceClient,
    private readonly exchange: TokenExchange,
  ) {}

  @Post()
  @HttpCode(201)
  @Authenticated('api-keys:manage')
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  async create(
    @Body() body: CreateApiKeyRequestDto,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
  ): Promise<CreatedApiKeyDto> {
    const { key, secret } = await this.auth.call<CreatedApiKey>(
      'CreateApiKey',
      { name: body.name, scopes: body.scopes, ttl_days: body.ttl_days ?? 0 },
      await this.options(principal, request),
    );
    return { ...key, secret };
  }

  @Get()
  @Authenticated('api-keys:manage')
  @ApiOkListResponse(ApiKeyDto, MAX_KEYS_PER_USER)
  async list(
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
  ): Promise<ApiKeyDto[]> {
    const { keys } = await this.auth.call<ListApiKeysResponse>(
      'ListApiKeys',
      {},
      await this.options(principal, request),
    );
    return keys ?? [];
  }

  /** Revoked at auth and dropped from every replica's exchange cache: the key is dead at once. */
  @Delete(':id')
  @ApiPathId()
  @HttpCode(204)
  @Authenticated('api-keys:manage')
  @ApiNoContentResponse()
  async revoke(
    @PathId() id: string,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
  ): Promise<void> {
    await this.auth.call('RevokeApiKey', { id }, await this.options(principal, request));
    await this.exchange.revoke({ apiKeyId: id });
  }

  private options(principal: Principal, request: FastifyRequest) {
    return this.exchange.callOptions(principal, 'auth', request);
  }
}
