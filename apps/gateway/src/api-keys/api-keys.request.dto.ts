import { ApiProperty } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { PERMISSIONS } from '@citadel/auth';

export class CreateApiKeyRequestDto {
  @ApiProperty({ example: 'nightly export', description: 'A label for its owner' })
  @Matches(/^[\w .:-]{1,64}$/, {
    message: 'name must be 1..64 letters, digits, spaces or . _ : -',
  })
  name!: string;

  @ApiProperty({
    example: ['orders:read:own'],
    description: "Permissions the key is limited to; each must be granted by the owner's role",
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(PERMISSIONS.length)
  @ArrayUnique()
  @IsIn(PERMISSIONS, { each: true, message: 'each scope must be a Citadel permission' })
  scopes!: string[];

  @ApiProperty({ required: false, example: 90, minimum: 1, maximum: 365 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(365)
  ttl_days?: number;
}

export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: [String] }) scopes!: string[];
  @ApiProperty() created_at!: string;
  @ApiProperty() expires_at!: string;
  @ApiProperty({ example: 'cit_ak_AbC', description: 'Enough to tell keys apart, not to use one' })
  prefix!: string;
}

export class CreatedApiKeyDto extends ApiKeyDto {
  @ApiProperty({ description: 'The key itself: shown this once, stored only as a hash' })
  secret!: string;
}
