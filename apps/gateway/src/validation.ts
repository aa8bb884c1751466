import { BadRequestException, ValidationPipe, type ValidationError } from '@nestjs/common';

function flatten(errors: ValidationError[], parent = ''): { field: string; message: string }[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) =>
      // class-validator's whitelist message names the property; keep it short.
      ({ field, message: message.replace(/^property \S+ /, '') }),
    );
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/**
 * Strict input at the edge: unknown fields are rejected (not silently dropped), types
 * are not coerced, and the problem names every offending field.
 */
export const strictValidation = new ValidationPipe({
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  transform: true,
  transformOptions: { enableImplicitConversion: false },
  validationError: { target: false, value: false },
  exceptionFactory: (errors) =>
    new BadRequestException({ message: 'request validation failed', errors: flatten(errors) }),
});
