import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { offlineOpenApiDocument } from './offline-document.js';

/**
 * `node dist/docs/write-openapi.js <file>`: writes the document `GET /docs/openapi.json` serves, for
 * `npm run lint:openapi` (Spectral's CLI lints the file).
 */
const file = process.argv[2];
if (!file) {
  console.error('usage: write-openapi <file>');
  process.exit(2);
}
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, `${JSON.stringify(await offlineOpenApiDocument(), null, 2)}\n`);
