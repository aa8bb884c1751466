import { Controller, Get, Injectable, NotFoundException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { OpenAPIObject } from '@nestjs/swagger';

/** The OpenAPI description, generated from the controllers and DTOs at start. */
@Injectable()
export class OpenApiDocument {
  value: OpenAPIObject | undefined;
}

@ApiExcludeController()
@Controller()
export class DocsController {
  constructor(private readonly document: OpenApiDocument) {}

  @Get('docs')
  docs(): OpenAPIObject {
    if (!this.document.value) throw new NotFoundException();
    return this.document.value;
  }
}
