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

export class OrderItemDto {
  @ApiProperty({ example: 'CIT-MUG' })
  @Matches(/^[A-Z0-9-]{1,32}$/, {
    message: 'sku must be 1..32 upper-case letters, digits or dashes',
  })
  sku!: string;

  @ApiProperty({ example: 2, minimum: 1, maximum: 100 })
  @IsInt()
  @Min(1)
  @Max(100)
  quantity!: number;
}

export class CreateOrderRequestDto {
  @ApiProperty({ type: [OrderItemDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
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
  })
  @IsOptional()
  @Matches(/^tok_[a-z0-9_]{1,40}$/, { message: 'payment_token must look like tok_visa' })
  payment_token?: string;
}

export class OrderLineDto extends OrderItemDto {
  @ApiProperty({ example: 1200 }) unit_price_cents!: number;
}

export class OrderDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() user_id!: string;
  @ApiProperty({ enum: ['pending', 'paid', 'payment_failed', 'cancelled', 'refunded'] })
  status!: string;
  @ApiProperty({ type: [OrderLineDto] }) items!: OrderLineDto[];
  @ApiProperty({ example: 2400 }) total_cents!: number;
  @ApiProperty({ example: 'EUR' }) currency!: string;
  @ApiProperty() payment_id!: string;
  @ApiProperty() created_at!: string;
  @ApiProperty({ description: 'Why the payment failed (e.g. card_declined), when it did' })
  failure_reason!: string;
}
