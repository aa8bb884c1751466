import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AuditLog } from '@citadel/audit';
import { openServiceDatabase, type ServiceDatabase } from '@citadel/database';
import { ORDER_MIGRATIONS, type OrderDatabase } from '../orders/order.migrations.js';
import { readCatalogueFile } from './catalogue-file.js';
import { Catalogue } from './catalogue.js';

describe('ORDER_CATALOGUE_FILE', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-catalogue-'));
  const write = (name: string, content: unknown) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  };
  let database: ServiceDatabase<OrderDatabase>;
  beforeAll(async () => {
    database = await openServiceDatabase<OrderDatabase>(
      'order',
      { kind: 'embedded-memory' },
      ORDER_MIGRATIONS,
    );
  });
  afterAll(async () => {
    await database.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('replaces the demo catalogue with the file: added, updated, withdrawn', async () => {
    const catalogue = new Catalogue(database.db, new AuditLog(database.db, 'order'));
    const file = write('shop.json', [
      { sku: 'CIT-MUG', name: 'Mug, large', price_cents: 1500, currency: 'EUR' },
      { sku: 'TEA-01', name: 'Green tea', price_cents: 800, currency: 'EUR' },
    ]);
    await catalogue.replaceWith(readCatalogueFile(file));
    expect(await catalogue.list()).toEqual([
      { sku: 'CIT-MUG', name: 'Mug, large', price_cents: 1500, currency: 'EUR' },
      { sku: 'TEA-01', name: 'Green tea', price_cents: 800, currency: 'EUR' },
    ]);
  });

  it.each([
    ['not JSON', '{oops', /ORDER_CATALOGUE_FILE .*bad\.json: /],
    ['empty', [], /\(root\)/],
    ['a bad sku', [{ sku: 'mug', name: 'm', price_cents: 1, currency: 'EUR' }], /0\.sku/],
    [
      'a negative price',
      [{ sku: 'A', name: 'm', price_cents: -1, currency: 'EUR' }],
      /0\.price_cents/,
    ],
    ['an unknown field', [{ sku: 'A', name: 'm', price_cents: 1, currency: 'EUR', x: 1 }], /0/],
    [
      'a sku twice',
      [
        { sku: 'A', name: 'm', price_cents: 1, currency: 'EUR' },
        { sku: 'A', name: 'n', price_cents: 2, currency: 'EUR' },
      ],
      /each sku once/,
    ],
  ])('refuses a file with %s, naming the file and the problem', (_name, content, message) => {
    expect(() => readCatalogueFile(write('bad.json', content))).toThrow(message);
  });
});
