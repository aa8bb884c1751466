import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsString, MaxLength, MinLength } from 'class-validator';

export class LoginRequestDto {
  @ApiProperty({ example: 'alice@citadel.test', maxLength: 254 })
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
  })
  access_token!: string;
  @ApiProperty({ example: 'Bearer' })
  token_type!: string;
  @ApiProperty({ example: 3600 })
  expires_in!: number;
}

export class MeResponseDto {
  @ApiProperty() id!: string;
  @ApiProperty() email!: string;
  @ApiProperty({ enum: ['customer', 'support_agent', 'admin'] }) role!: string;
}
