import {
  BadRequestException,
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  HttpException,
  Inject,
  Post,
} from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ORDER_CLIENT, type OrderClient } from '../downstream.js';
import { ApiPathId, PathId } from '../params.js';
import { Authenticated } from '../session/permission.guard.js';
import { CurrentPrincipal, type Principal } from '../session/principal.js';
import { TokenExchange } from '../session/token-exchange.js';
import { ApiOkListResponse } from '../docs/openapi.js';
import { CreateOrderRequestDto, MAX_LISTED_ORDERS, OrderDto } from './create-order.request.dto.js';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{1,128}$/;

/** Routes to the order service with the user's JWT (aud = order, payment). */
@ApiTags('orders')
@Controller('v1/orders')
export class OrdersController {
  constructor(
    @Inject(ORDER_CLIENT) private readonly order: OrderClient,
    private readonly exchange: TokenExchange,
  ) {}

  /** The user's call options for order (their JWT, aud = order, payment). */
  private options(principal: Principal) {
    return this.exchange.callOptions(principal, 'order');
  }

  @Post()
  @Authenticated('orders:create')
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    schema: { type: 'string', pattern: IDEMPOTENCY_KEY.source, maxLength: 128 },
    description:
      'Retry safely: the same key and body return the same order; the same key with another body is 409',
  })
  @ApiCreatedResponse({ type: OrderDto })
  @ApiResponse({
    status: 402,
    description: 'The payment was declined; the order is payment_failed',
  })
  @ApiConflictResponse({ description: 'The Idempotency-Key was used for a different request' })
  @ApiResponse({
    status: 503,
    description: 'Payment did not answer; retry with the same Idempotency-Key',
  })
  async create(
    @Body() body: CreateOrderRequestDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @CurrentPrincipal() principal: Principal,
  ) {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new BadRequestException({
        message: 'request validation failed',
        errors: [{ field: 'Idempotency-Key', message: 'must be 1..128 of [A-Za-z0-9_.:-]' }],
      });
    }
    const order = await this.order.rpc.createOrder(
      {
        items: body.items,
        idempotency_key: idempotencyKey ?? '',
        payment_token: body.payment_token ?? '',
      },
      await this.options(principal),
    );
    if (order.status === 'payment_failed') {
      throw new HttpException(
        {
          message: `payment failed (${order.failure_reason || 'declined'}); order ${order.id} is payment_failed`,
        },
        402,
      );
    }
    return order;
  }

  @Get()
  @Authenticated('orders:read:own', 'orders:read:any')
  @ApiOkListResponse(
    OrderDto,
    MAX_LISTED_ORDERS,
    'The newest orders: own; support agents and admins see all',
  )
  async list(@CurrentPrincipal() principal: Principal) {
    return (await this.order.rpc.listOrders({}, await this.options(principal))).orders;
  }

  @Get(':id')
  @ApiPathId()
  @Authenticated('orders:read:own', 'orders:read:any')
  @ApiOkResponse({ type: OrderDto })
  @ApiNotFoundResponse({ description: 'No such order, or not yours (existence is not leaked)' })
  async get(@PathId() id: string, @CurrentPrincipal() principal: Principal) {
    return this.order.rpc.getOrder({ id }, await this.options(principal));
  }

  @Post(':id/cancel')
  @ApiPathId()
  @HttpCode(200)
  @Authenticated('orders:cancel:own', 'orders:cancel:any')
  @ApiOkResponse({ type: OrderDto, description: 'Cancelled and refunded' })
  async cancel(@PathId() id: string, @CurrentPrincipal() principal: Principal) {
    return this.order.rpc.cancelOrder({ id }, await this.options(principal));
  }

  @Post(':id/refund')
  @ApiPathId()
  @HttpCode(200)
  @Authenticated('orders:refund')
  @ApiOkResponse({ type: OrderDto })
  async refund(@PathId() id: string, @CurrentPrincipal() principal: Principal) {
    return this.order.rpc.refundOrder({ id }, await this.options(principal));
  }
}
