import 'reflect-metadata';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocsController, OpenApiDocument } from './docs.controller.js';
import { DOCS_ASSETS_PATH, REFERENCE_PAGE_CSP, ReferencePage } from './reference-page.js';

@Module({ controllers: [DocsController], providers: [OpenApiDocument, ReferencePage] })
class DocsModule {}

/** What the page links to, in its order. */
function linked(html: string): string[] {
  return [...html.matchAll(/(?:href|src)="([^"]+)"/g)].map((match) => match[1]!);
}

/** The files the page loads from the gateway: the stylesheet, then the scripts. */
const loadedPaths = (html: string) =>
  linked(html).filter((url) => url.startsWith(`${DOCS_ASSETS_PATH}/`));

describe('the API reference page and its files (DocsController)', () => {
  let app: NestFastifyApplication;
  let page: ReferencePage;
  /**
   * One GET over a real socket, the path sent exactly as written (`..%2F` included). Not
   * Fastify's inject(): its cookie parser is an ES module that Jest cannot require on Node 22.
   */
  const get = (path: string) =>
    new Promise<{
      statusCode: number;
      headers: http.IncomingHttpHeaders;
      rawPayload: Buffer;
      body: string;
      json(): unknown;
    }>((resolve, reject) => {
      const { port } = app.getHttpServer().address() as AddressInfo;
      http
        .get({ host: '127.0.0.1', port, path }, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const rawPayload = Buffer.concat(chunks);
            const body = rawPayload.toString('utf8');
            resolve({
              statusCode: response.statusCode ?? 0,
              headers: response.headers,
              rawPayload,
              body,
              json: () => JSON.parse(body) as unknown,
            });
          });
        })
        .on('error', reject);
    });

  beforeAll(async () => {
    app = await NestFactory.create<NestFastifyApplication>(DocsModule, new FastifyAdapter(), {
      logger: false,
      abortOnError: false,
    });
    app.get(OpenApiDocument).value = {
      openapi: '3.1.0',
      info: { title: 'Citadel API', version: '1' },
      paths: {},
    };
    await app.listen({ host: '127.0.0.1', port: 0 });
    page = app.get(ReferencePage);
  });

  afterAll(() => app.close());

  it('GET /docs is an HTML page, under its own CSP, asked again on each visit', async () => {
    const response = await get('/docs');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['content-security-policy']).toBe(REFERENCE_PAGE_CSP);
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(response.body).toBe(page.html);
  });

  it('the CSP allows nothing inline, nothing evaluated and nothing from elsewhere', () => {
    expect(REFERENCE_PAGE_CSP).toMatch(/^default-src 'none';/);
    expect(REFERENCE_PAGE_CSP).not.toMatch(/unsafe|https?:|\*/);
    expect(REFERENCE_PAGE_CSP).toContain("frame-ancestors 'none'");
  });

  it('the page loads Swagger UI and our initializer from the gateway, and nothing inline', () => {
    expect(linked(page.html)).toEqual([
      'data:,',
      expect.stringMatching(/^\/docs\/assets\/swagger-ui\.[0-9a-f]{16}\.css$/),
      expect.stringMatching(/^\/docs\/assets\/swagger-ui-bundle\.[0-9a-f]{16}\.js$/),
      expect.stringMatching(/^\/docs\/assets\/swagger-initializer\.[0-9a-f]{16}\.js$/),
    ]);
    expect(page.html).not.toMatch(/<script>|<style|\sstyle=|\son\w+=/);
  });

  it('serves each file the page loads with its type, to be cached for good', async () => {
    const types = { css: 'text/css; charset=utf-8', js: 'text/javascript; charset=utf-8' };
    for (const path of loadedPaths(page.html)) {
      const response = await get(path);
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe(types[path.endsWith('.css') ? 'css' : 'js']);
      expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(response.rawPayload.equals(page.asset(path.split('/').pop()!)!.body)).toBe(true);
    }
  });

  it('the initializer renders our document and sends nothing to any other server', async () => {
    const initializer = loadedPaths(page.html).find((path) => path.includes('initializer'))!;
    const script = (await get(initializer)).body;
    expect(script).toContain('url: "/docs/openapi.json"');
    expect(script).toContain('validatorUrl: null');
    expect(script).toContain('queryConfigEnabled: false');
    expect(script).not.toMatch(/https?:/);
  });

  it.each([
    ['a name the page does not load', 'swagger-ui-bundle.js'],
    ['another file of the package', 'swagger-ui-standalone-preset.js'],
    ['a stale hash', 'swagger-ui.0000000000000000.css'],
    ['the package manifest', '..%2Fpackage.json'],
    ['a file outside it', '..%2F..%2F..%2Fpackage.json'],
  ])('%s is 404', async (_, name) => {
    expect((await get(`${DOCS_ASSETS_PATH}/${name}`)).statusCode).toBe(404);
  });

  it('GET /docs/openapi.json is the document, as JSON', async () => {
    const response = await get('/docs/openapi.json');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.json()).toEqual(app.get(OpenApiDocument).value);
  });
});
