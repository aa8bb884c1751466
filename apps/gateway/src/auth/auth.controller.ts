import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpException,
  Inject,
  Post,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiOkResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { isServiceError } from '@citadel/transport';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { LoginRequest } from '@citadel/contracts';
import { AUTH_CLIENT, type AuthClient } from '../downstream.js';
import { Authenticated } from '../session/permission.guard.js';
import { CurrentPrincipal, type Principal } from '../session/principal.js';
import { TokenExchange } from '../session/token-exchange.js';
import { LoginRequestDto, MeResponseDto, TokenResponseDto } from './login.request.dto.js';
import {
  LoginRefused,
  LoginThrottle,
  type Admission,
  type LoginOutcome,
} from './login-throttle.js';
import {
  deviceCookie,
  deviceTokenOf,
  deviceTokensFromAuth,
  type DeviceTokens,
} from './device-token.js';
import { clientBucket } from '../edge/client-address.js';
import { EdgeAudit } from '../edge/edge-audit.js';

/** How long a client turned away by auth's full password queue should wait. */
const BUSY_RETRY_AFTER_S = 1;

@ApiTags('auth')
@Controller('v1')
export class AuthController {
  /** Device cookies, checked against the keys auth publishes (no secret of our own). */
  private readonly devices: DeviceTokens;

  constructor(
    @Inject(AUTH_CLIENT) private readonly auth: AuthClient,
    private readonly exchange: TokenExchange,
    private readonly throttle: LoginThrottle,
    private readonly edgeAudit: EdgeAudit,
  ) {
    this.devices = deviceTokensFromAuth(auth);
  }

  @Post('auth/login')
  @HttpCode(200)
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiUnauthorizedResponse({ description: 'Wrong email or password (one answer for both)' })
  @ApiTooManyRequestsResponse({
    description: 'Too many failed logins for this account or from this address; see Retry-After',
  })
  @ApiServiceUnavailableResponse({ description: 'Too many logins in progress; see Retry-After' })
  async login(
    @Body() body: LoginRequestDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponseDto> {
    // Only the body and the device cookie speak for the client: a bearer credential sent
    // along is never read here, so it can neither unlock nor widen anything.
    const device = await this.devices.deviceOf(
      deviceTokenOf(request.headers.cookie),
      body.email.trim().toLowerCase(),
    );
    let admission: Admission;
    try {
      admission = await this.throttle.admit({
        email: body.email,
        address: clientBucket(request.ip),
        device,
      });
    } catch (error) {
      if (!(error instanceof LoginRefused)) throw error;
      if (error.worthRecording) {
        this.edgeAudit.record(request, 'auth.login.throttled', error.reason, {
          target: body.email,
        });
      }
      throw new HttpException(
        {
          message: `${error.reason}; try again in ${error.retryAfterSeconds} s`,
          retryAfterSeconds: error.retryAfterSeconds,
        },
        429,
      );
    }
    let outcome: LoginOutcome = 'failed';
    // A client that hangs up cancels its login at auth: a check still queued there leaves
    // the queue unrun, so logins fired and dropped cannot keep argon2's queue full for
    // nobody. Still counted as failed: the check may have run.
    const hungUp = new AbortController();
    const onClose = () => {
      if (!reply.raw.writableFinished) hungUp.abort();
    };
    reply.raw.once('close', onClose);
    try {
      // The client's address as the edge resolved it (TRUSTED_PROXIES), so auth's records
      // name it and the monitor's login-burst rule can count one address across accounts.
      const login: LoginRequest = {
        email: body.email,
        password: body.password,
        client_ip: request.ip,
      };
      const answer = await this.auth.rpc.login(login, { signal: hungUp.signal });
      outcome = 'ok';
      if (answer.device_token) void reply.header('set-cookie', deviceCookie(answer.device_token));
      return {
        access_token: answer.access_token,
        token_type: answer.token_type,
        expires_in: answer.expires_in,
      };
    } catch (error) {
      if (isServiceError(error) && error.code === GrpcStatus.RESOURCE_EXHAUSTED) {
        // Auth turned the check away unrun: nothing is counted against the client.
        outcome = 'unchecked';
        throw new HttpException(
          { message: 'too many logins in progress', retryAfterSeconds: BUSY_RETRY_AFTER_S },
          503,
        );
      }
      // A wrong password, or an answer lost on the way (the check may have run): counted.
      throw error;
    } finally {
      reply.raw.off('close', onClose);
      await admission.settle(outcome);
    }
  }

  /** The token is dead at once: revoked at auth and dropped from every replica's exchange cache. */
  @Post('auth/logout')
  @HttpCode(204)
  @Authenticated()
  async logout(@CurrentPrincipal() principal: Principal): Promise<void> {
    await this.auth.rpc.logout({ access_token: principal.accessToken });
    // Every replica forgets it before the client hears it is dead (revocation.ts).
    await this.exchange.revoke({ credential: principal.credentialKey });
  }

  @Get('me')
  @Authenticated()
  @ApiOkResponse({ type: MeResponseDto })
  me(@CurrentPrincipal() principal: Principal): MeResponseDto {
    return { id: principal.id, email: principal.email, role: principal.role };
  }
}
