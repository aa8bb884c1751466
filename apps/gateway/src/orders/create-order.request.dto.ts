import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsObject,
  IsOptional,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';

const SKU = /^[A-Z0-9-]{1,32}$/;
const PAYMENT_TOKEN = /^tok_[a-z0-9_]{1,40}$/;
/** The order service's bound on lines per order (order.service.ts MAX_ITEMS). */
const MAX_ITEMS = 50;
/** The order service lists at most this many orders (order.repository.ts). */
export const MAX_LISTED_ORDERS = 500;

export class OrderItemDto {
  @ApiProperty({ example: 'CIT-MUG', pattern: SKU.source, maxLength: 32 })
  @Matches(SKU, {
    message: 'sku must be 1..32 upper-case letters, digits or dashes',
  })
  sku!: string;

  @ApiProperty({ example: 2, type: 'integer', format: 'int32', minimum: 1, maximum: 100 })
  @IsInt()
  @Min(1)
  @Max(100)
  quantity!: number;
}

export class CreateOrderRequestDto {
  @ApiProperty({ type: [OrderItemDto], minItems: 1, maxItems: MAX_ITEMS })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ITEMS)
  // An array inside items would pass ValidateNested; each item must be an object.
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => OrderItemDto)
  items!: OrderItemDto[];

  @ApiProperty({
    required: false,
    example: 'tok_visa',
    description:
      'A payment provider token, never card data. The simulator knows tok_visa (default), tok_decline and tok_no_funds.',
    pattern: PAYMENT_TOKEN.source,
    maxLength: 44,
  })
  @IsOptional()
  @Matches(PAYMENT_TOKEN, { message: 'payment_token must look like tok_visa' })
  payment_token?: string;
}

export class OrderLineDto extends OrderItemDto {
  @ApiProperty({ example: 1200 }) unit_price_cents!: number;
}

export class OrderDto {
  @ApiProperty({ format: 'uuid', maxLength: 36 }) id!: string;
  @ApiProperty({ format: 'uuid', maxLength: 36 }) user_id!: string;
  @ApiProperty({ enum: ['pending', 'paid', 'payment_failed', 'cancelled', 'refunded'] })
  status!: string;
  @ApiProperty({ type: [OrderLineDto], maxItems: MAX_ITEMS }) items!: OrderLineDto[];
  @ApiProperty({ example: 2400 }) total_cents!: number;
  @ApiProperty({ example: 'EUR', pattern: '^[A-Z]{3}$', maxLength: 3 }) currency!: string;
  @ApiProperty({ description: "The payment's UUID; empty before payment", maxLength: 36 })
  payment_id!: string;
  @ApiProperty({ format: 'date-time', maxLength: 24 }) created_at!: string;
  @ApiProperty({ description: 'Why the payment failed (e.g. card_declined), when it did' })
  failure_reason!: string;
}
