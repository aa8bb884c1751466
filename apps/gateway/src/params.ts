import { ApiProperty } from '@nestjs/swagger';
import { IsUUID, Matches } from 'class-validator';

/** Path ids are UUIDs; anything else (traversal, injection) is a 400 before any call. */
export class IdParam {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  id!: string;
}

export class SkuParam {
  @ApiProperty({ example: 'CIT-MUG' })
  @Matches(/^[A-Z0-9-]{1,32}$/, {
    message: 'sku must be 1..32 upper-case letters, digits or dashes',
  })
  sku!: string;
}
