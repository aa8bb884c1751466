import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Injectable } from '@nestjs/common';

/** Where the page finds the OpenAPI document it renders. */
export const OPENAPI_DOCUMENT_PATH = '/docs/openapi.json';

/** The prefix of every file the page loads; the rest of the path is the file's hashed name. */
export const DOCS_ASSETS_PATH = '/docs/assets';

/**
 * The page's Content-Security-Policy: its scripts, styles and document come from this
 * gateway only, as files (nothing inline, no eval); images may also be the `data:` URIs
 * swagger-ui.css draws its icons with. "Try it out" can therefore call this gateway and
 * no other server (connect-src), and the page cannot be framed, re-based or made to post
 * a form anywhere. Every other answer keeps the API's policy (gateway-app.ts).
 */
export const REFERENCE_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** One file the page loads, in memory since start, under a name that changes with its bytes. */
export interface DocsAsset {
  /** The name in the URL: `swagger-ui-bundle.<hash>.js`. */
  name: string;
  body: Buffer;
  contentType: string;
}

const JAVASCRIPT = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/**
 * Swagger UI's settings, as a script file of ours (a CSP without 'unsafe-inline' runs no
 * inline script). No call leaves this gateway: no validator badge (validatorUrl, which
 * would send the document to validator.swagger.io), no `?url=` or `?configUrl=` pointing
 * the page at another document (queryConfigEnabled), and the document names no servers,
 * so "Try it out" calls the origin the page came from.
 */
const INITIALIZER = `'use strict';
SwaggerUIBundle({
  url: ${JSON.stringify(OPENAPI_DOCUMENT_PATH)},
  dom_id: '#swagger-ui',
  validatorUrl: null,
  queryConfigEnabled: false,
  deepLinking: true,
});
`;

/**
 * The API reference a person reads at `GET /docs`: Swagger UI (swagger-ui-dist) rendering
 * the gateway's OpenAPI document. Its files are read once, at start, from a fixed list
 * (never a folder a request could name its way out of) and served under content-hashed
 * names, so a browser may cache them for good and still gets a new version at once.
 */
@Injectable()
export class ReferencePage {
  readonly html: string;
  private readonly assets: ReadonlyMap<string, DocsAsset>;

  constructor() {
    const swaggerUi = swaggerUiDistDirectory();
    const bundle = hashedAsset(
      'swagger-ui-bundle.js',
      readFileSync(join(swaggerUi, 'swagger-ui-bundle.js')),
      JAVASCRIPT,
    );
    const stylesheet = hashedAsset(
      'swagger-ui.css',
      readFileSync(join(swaggerUi, 'swagger-ui.css')),
      CSS,
    );
    const initializer = hashedAsset(
      'swagger-initializer.js',
      Buffer.from(INITIALIZER, 'utf8'),
      JAVASCRIPT,
    );
    this.assets = new Map([bundle, stylesheet, initializer].map((asset) => [asset.name, asset]));
    this.html = pageHtml({ stylesheet, scripts: [bundle, initializer] });
  }

  /** The file of that hashed name, if the page loads one. */
  asset(name: string): DocsAsset | undefined {
    return this.assets.get(name);
  }
}

/**
 * The installed swagger-ui-dist, found as Node resolves the gateway's own dependencies: the
 * package exists to ship these files for a server to serve. Not its `getAbsoluteFSPath()`:
 * importing the package's main module evaluates the 1.8 MB browser bundle in the gateway.
 */
function swaggerUiDistDirectory(): string {
  return dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
}

function hashedAsset(file: string, body: Buffer, contentType: string): DocsAsset {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 16);
  const dot = file.lastIndexOf('.');
  return { name: `${file.slice(0, dot)}.${hash}${file.slice(dot)}`, body, contentType };
}

function pageHtml({ stylesheet, scripts }: { stylesheet: DocsAsset; scripts: DocsAsset[] }) {
  const url = (asset: DocsAsset) => `${DOCS_ASSETS_PATH}/${asset.name}`;
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Citadel API reference</title>
    <!-- No icon: else the browser asks for /favicon.ico, which the API does not serve. -->
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="${url(stylesheet)}" />
  </head>
  <body>
    <div id="swagger-ui"></div>
${scripts.map((script) => `    <script src="${url(script)}"></script>`).join('\n')}
  </body>
</html>
`;
}
