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

/** A key's label: what the gateway accepts, so what auth stores and lists. */
const KEY_NAME = /^[\w .:-]{1,64}$/;
/** auth's opaque-token.ts: a prefix and 256 random bits in base64url. */
const KEY_SECRET = /^cit_ak_[A-Za-z0-9_-]{43}$/;
/** auth's api-key.service.ts: at most 20 keys per account. */
export const MAX_KEYS_PER_USER = 20;
/** `Date.toISOString()`, as auth writes every time. */
const TIMESTAMP = { format: 'date-time', maxLength: 24 } as const;

export class CreateApiKeyRequestDto {
  @ApiProperty({
    example: 'nightly export',
    description: 'A label for its owner',
    pattern: KEY_NAME.source,
    maxLength: 64,
  })
  @Matches(KEY_NAME, {
    message: 'name must be 1..64 letters, digits, spaces or . _ : -',
  })
  name!: string;

  @ApiProperty({
    example: ['orders:read:own'],
    description: "Permissions the key is limited to; each must be granted by the owner's role",
    enum: PERMISSIONS,
    isArray: true,
    minItems: 1,
    maxItems: PERMISSIONS.length,
    uniqueItems: true,
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(PERMISSIONS.length)
  @ArrayUnique()
  @IsIn(PERMISSIONS, { each: true, message: 'each scope must be a Citadel permission' })
  scopes!: string[];

  @ApiProperty({
    required: false,
    example: 90,
    type: 'integer',
    format: 'int32',
    minimum: 1,
    maximum: 365,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(365)
  ttl_days?: number;
}

export class ApiKeyDto {
  @ApiProperty({ format: 'uuid', maxLength: 36 }) id!: string;
  @ApiProperty({ pattern: KEY_NAME.source, maxLength: 64 }) name!: string;
  @ApiProperty({ enum: PERMISSIONS, isArray: true, maxItems: PERMISSIONS.length })
  scopes!: string[];
  @ApiProperty(TIMESTAMP) created_at!: string;
  @ApiProperty(TIMESTAMP) expires_at!: string;
  @ApiProperty({
    example: 'cit_ak_AbC',
    description: 'Enough to tell keys apart, not to use one',
    pattern: '^cit_ak_[A-Za-z0-9_-]{4}$',
    maxLength: 11,
  })
  prefix!: string;
}

export class CreatedApiKeyDto extends ApiKeyDto {
  @ApiProperty({
    description: 'The key itself: shown this once, stored only as a hash',
    pattern: KEY_SECRET.source,
    maxLength: 50,
  })
  secret!: string;
}
