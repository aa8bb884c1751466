import { Body, Controller, Get, Inject, Param, Put } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import type { Product } from '@citadel/contracts';
import { ORDER_CLIENT, type OrderClient } from '../downstream.js';
import { SkuParam } from '../params.js';
import { Authenticated } from '../session/permission.guard.js';
import { CurrentPrincipal, type Principal } from '../session/principal.js';
import { TokenExchange } from '../session/token-exchange.js';

/** As the order service's catalogue file requires them (catalogue-file.ts). */
export class ProductDto {
  @ApiProperty({ example: 'CIT-MUG', pattern: '^[A-Z0-9-]{1,32}$', maxLength: 32 }) sku!: string;
  @ApiProperty({ maxLength: 100 }) name!: string;
  @ApiProperty({ example: 1200 }) price_cents!: number;
  @ApiProperty({ example: 'EUR', pattern: '^[A-Z]{3}$', maxLength: 3 }) currency!: string;
}

export class SetPriceRequestDto {
  @ApiProperty({ example: 1500, type: 'integer', format: 'int32', minimum: 1, maximum: 10_000_000 })
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  price_cents!: number;
}

@ApiTags('products')
@Controller('v1/products')
export class ProductsController {
  constructor(
    @Inject(ORDER_CLIENT) private readonly order: OrderClient,
    private readonly exchange: TokenExchange,
  ) {}

  /** Public: the catalogue. The gateway still calls order over mTLS, without a user JWT. */
  @Get()
  @ApiOkResponse({ type: [ProductDto] })
  async list(): Promise<Product[]> {
    const { products } = await this.order.rpc.listProducts({});
    return products;
  }

  @Put(':sku/price')
  @Authenticated('products:price:write')
  @ApiOkResponse({ type: ProductDto })
  async setPrice(
    @Param() { sku }: SkuParam,
    @Body() body: SetPriceRequestDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<Product> {
    const options = await this.exchange.callOptions(principal, 'order');
    return this.order.rpc.setPrice({ sku, price_cents: body.price_cents }, options);
  }
}
