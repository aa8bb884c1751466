import { Controller, Get, Header, Injectable, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { REFERENCE_PAGE_CSP, ReferencePage } from './reference-page.js';

/** The OpenAPI description, generated from the controllers and DTOs at start. */
@Injectable()
export class OpenApiDocument {
  value: OpenAPIObject | undefined;
}

/** Asked again on every visit, so a new version's asset names are seen at once. */
const REVALIDATE = 'no-cache';
/** The assets' names change with their bytes: a browser may keep them for good. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The API reference: the page (`GET /docs`), the files it loads and the OpenAPI document
 * it renders. Like every route, these pass the rate limits and the strict-request rules
 * (no query string, no repeated headers) before they get here.
 */
@ApiExcludeController()
@Controller('docs')
export class DocsController {
  constructor(
    private readonly document: OpenApiDocument,
    private readonly page: ReferencePage,
  ) {}

  /** The only answer whose CSP lets scripts and styles run; each comes from this gateway. */
  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('content-security-policy', REFERENCE_PAGE_CSP)
  @Header('cache-control', REVALIDATE)
  reference(): string {
    return this.page.html;
  }

  @Get('openapi.json')
  @Header('cache-control', REVALIDATE)
  openApi(): OpenAPIObject {
    if (!this.document.value) throw new NotFoundException();
    return this.document.value;
  }

  @Get('assets/:name')
  asset(@Param('name') name: string, @Res({ passthrough: true }) reply: FastifyReply): Buffer {
    const asset = this.page.asset(name);
    if (!asset) throw new NotFoundException();
    void reply.header('content-type', asset.contentType).header('cache-control', IMMUTABLE);
    return asset.body;
  }
}
