import { BadRequestException, ValidationPipe, type ValidationError } from '@nestjs/common';

/** An unknown property's name is the caller's text: shown only when it is a plain name. */
const shownName = (name: string) => (/^[A-Za-z0-9_$-]{1,64}$/.test(name) ? name : '(unnamed)');

function flatten(errors: ValidationError[], parent = ''): { field: string; message: string }[] {
  return errors.flatMap((error) => {
    const property = shownName(error.property);
    const field = parent ? `${parent}.${property}` : property;
    const own = Object.entries(error.constraints ?? {}).map(([rule, message]) =>
      // class-validator's whitelist message repeats the property name; keep it short.
      ({ field, message: rule === 'whitelistValidation' ? 'should not exist' : message }),
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
