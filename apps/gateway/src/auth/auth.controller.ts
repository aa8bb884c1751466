import { Body, Controller, Get, HttpCode, Inject, Post, Req } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { isServiceError } from '@citadel/transport';
import type { FastifyRequest } from 'fastify';
import type { LoginResponse } from '@citadel/contracts';
import { AUTH_CLIENT, type ServiceClient } from '../downstream.js';
import { Authenticated } from '../session/permission.guard.js';
import { CurrentPrincipal, type Principal } from '../session/principal.js';
import { TokenExchange } from '../session/token-exchange.js';
import { traceOf } from '../trace.js';
import { LoginRequestDto, MeResponseDto, TokenResponseDto } from './login.request.dto.js';
import { LoginThrottle } from './login-throttle.js';
import { EdgeAudit } from '../edge/edge-audit.js';

@ApiTags('auth')
@Controller('v1')
export class AuthController {
  constructor(
    @Inject(AUTH_CLIENT) private readonly auth: ServiceClient,
    private readonly exchange: TokenExchange,
    private readonly throttle: LoginThrottle,
    private readonly edgeAudit: EdgeAudit,
  ) {}

  @Post('auth/login')
  @HttpCode(200)
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiUnauthorizedResponse({ description: 'Wrong email or password (one answer for both)' })
  @ApiTooManyRequestsResponse({
    description: 'Too many failed logins for this account or from this address; see Retry-After',
  })
  async login(
    @Body() body: LoginRequestDto,
    @Req() request: FastifyRequest,
  ): Promise<LoginResponse> {
    try {
      await this.throttle.assertAllowed(body.email, request.ip);
    } catch (error) {
      this.edgeAudit.record(request, 'auth.login.throttled', 'too many failed logins', {
        target: body.email,
      });
      throw error;
    }
    try {
      const token = await this.auth.call<LoginResponse>('Login', body, {
        traceparent: traceOf(request).traceparent,
      });
      await this.throttle.recordSuccess(body.email);
      return token;
    } catch (error) {
      if (isServiceError(error) && error.code === GrpcStatus.UNAUTHENTICATED) {
        await this.throttle.recordFailure(body.email, request.ip);
      }
      throw error;
    }
  }

  /** The token is dead at once: revoked at auth and dropped from the exchange cache. */
  @Post('auth/logout')
  @HttpCode(204)
  @Authenticated()
  async logout(
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
  ): Promise<void> {
    await this.auth.call(
      'Logout',
      { access_token: principal.accessToken },
      { traceparent: traceOf(request).traceparent },
    );
    this.exchange.evictToken(principal.accessToken);
  }

  @Get('me')
  @Authenticated()
  @ApiOkResponse({ type: MeResponseDto })
  me(@CurrentPrincipal() principal: Principal): MeResponseDto {
    return { id: principal.id, email: principal.email, role: principal.role };
  }
}
