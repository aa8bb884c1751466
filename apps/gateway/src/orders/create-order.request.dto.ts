import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
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
  @ValidateNested({ each: true })
  @Type(() => OrderItemDto)
  items!: OrderItemDto[];
}

export class OrderLineDto extends OrderItemDto {
  @ApiProperty({ example: 1200 }) unit_price_cents!: number;
}

export class OrderDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() user_id!: string;
  @ApiProperty({ enum: ['paid', 'payment_failed', 'cancelled', 'refunded'] }) status!: string;
  @ApiProperty({ type: [OrderLineDto] }) items!: OrderLineDto[];
  @ApiProperty({ example: 2400 }) total_cents!: number;
  @ApiProperty({ example: 'EUR' }) currency!: string;
  @ApiProperty() payment_id!: string;
  @ApiProperty() created_at!: string;
}
