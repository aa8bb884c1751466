import { BadRequestException, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiParam, ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';

const uuid = new ParseUUIDPipe({
  exceptionFactory: () =>
    new BadRequestException({
      message: 'request validation failed',
      errors: [{ field: 'id', message: 'id must be a UUID' }],
    }),
});

/**
 * The `:id` path parameter, which is always a UUID: anything else (traversal, injection)
 * is a 400 before any call. One regular expression, not a class-validator DTO: this is on
 * every read, and the DTO round trip (plainToInstance, validate) cost ~5% of the gateway.
 */
export const PathId = () => Param('id', uuid);

/** OpenAPI for `PathId`, on the route. */
export const ApiPathId = () =>
  ApiParam({ name: 'id', schema: { type: 'string', format: 'uuid', maxLength: 36 } });

export class SkuParam {
  @ApiProperty({ example: 'CIT-MUG', pattern: '^[A-Z0-9-]{1,32}$', maxLength: 32 })
  @Matches(/^[A-Z0-9-]{1,32}$/, {
    message: 'sku must be 1..32 upper-case letters, digits or dashes',
  })
  sku!: string;
}
