import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsString, MaxLength, MinLength } from 'class-validator';

/** auth's opaque-token.ts: a prefix and 256 random bits in base64url. */
const ACCESS_TOKEN = /^cit_at_[A-Za-z0-9_-]{43}$/;

export class LoginRequestDto {
  @ApiProperty({ example: 'alice@citadel.test', format: 'email', maxLength: 254 })
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @ApiProperty({ maxLength: 1024 })
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  password!: string;
}

export class TokenResponseDto {
  @ApiProperty({
    example: 'cit_at_3q2-…',
    description: 'Opaque: 256 random bits, stored only as a hash',
    pattern: ACCESS_TOKEN.source,
    maxLength: 50,
  })
  access_token!: string;
  @ApiProperty({ enum: ['Bearer'] })
  token_type!: string;
  @ApiProperty({ example: 3600 })
  expires_in!: number;
}

export class MeResponseDto {
  @ApiProperty({ format: 'uuid', maxLength: 36 }) id!: string;
  @ApiProperty({ format: 'email', maxLength: 254 }) email!: string;
  @ApiProperty({ enum: ['customer', 'support_agent', 'admin'] }) role!: string;
}
