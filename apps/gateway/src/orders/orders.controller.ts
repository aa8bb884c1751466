import { Body, Controller, Get, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { ListOrdersResponse, Order } from '@citadel/contracts';
import { ORDER_CLIENT, type ServiceClient } from '../downstream.js';
import { IdParam } from '../params.js';
import { Authenticated } from '../session/permission.guard.js';
import { CurrentPrincipal, type Principal } from '../session/principal.js';
import { TokenExchange } from '../session/token-exchange.js';
import { traceOf } from '../trace.js';
import { CreateOrderRequestDto, OrderDto } from './create-order.request.dto.js';

/** Routes to the order service with the user's JWT (aud = order, payment). */
@ApiTags('orders')
@Controller('v1/orders')
export class OrdersController {
  constructor(
    @Inject(ORDER_CLIENT) private readonly order: ServiceClient,
    private readonly exchange: TokenExchange,
  ) {}

  private async call<T>(
    method: string,
    body: object,
    principal: Principal,
    request: FastifyRequest,
  ) {
    const { jwt } = await this.exchange.exchange(principal.accessToken, 'order');
    return this.order.call<T>(method, body, { jwt, traceparent: traceOf(request).traceparent });
  }

  @Post()
  @Authenticated('orders:create')
  @ApiCreatedResponse({ type: OrderDto })
  create(
    @Body() body: CreateOrderRequestDto,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
  ) {
    return this.call<Order>('CreateOrder', { items: body.items }, principal, request);
  }

  @Get()
  @Authenticated('orders:read:own', 'orders:read:any')
  @ApiOkResponse({ type: [OrderDto], description: 'Own orders; support agents and admins see all' })
  async list(@CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest) {
    return (await this.call<ListOrdersResponse>('ListOrders', {}, principal, request)).orders;
  }

  @Get(':id')
  @Authenticated('orders:read:own', 'orders:read:any')
  @ApiOkResponse({ type: OrderDto })
  @ApiNotFoundResponse({ description: 'No such order, or not yours (existence is not leaked)' })
  get(
    @Param() { id }: IdParam,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
  ) {
    return this.call<Order>('GetOrder', { id }, principal, request);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Authenticated('orders:cancel:own', 'orders:cancel:any')
  @ApiOkResponse({ type: OrderDto, description: 'Cancelled and refunded' })
  cancel(
    @Param() { id }: IdParam,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
  ) {
    return this.call<Order>('CancelOrder', { id }, principal, request);
  }

  @Post(':id/refund')
  @HttpCode(200)
  @Authenticated('orders:refund')
  @ApiOkResponse({ type: OrderDto })
  refund(
    @Param() { id }: IdParam,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
  ) {
    return this.call<Order>('RefundOrder', { id }, principal, request);
  }
}
