import { sql, type Migration } from './index.js';
import { isUniqueViolation, openServiceDatabase } from './database.js';

interface DB {
  counters: { name: string; value: number };
}

const migrations: Record<string, Migration> = {
  '001-counters': {
    up: async (db) => {
      await db.schema
        .createTable('counters')
        .addColumn('name', 'text', (column) => column.primaryKey())
        .addColumn('value', 'integer', (column) => column.notNull())
        .execute();
    },
  },
};

describe('service database (embedded PostgreSQL)', () => {
  it('applies migrations once, in the service schema', async () => {
    const { db, close } = await openServiceDatabase<DB>(
      'shop',
      { kind: 'embedded-memory' },
      migrations,
    );
    try {
      await db.insertInto('counters').values({ name: 'a', value: 1 }).execute();
      const { rows } = await sql<{ table_schema: string }>`
        select table_schema from information_schema.tables where table_name = 'counters'
      `.execute(db);
      expect(rows.map((row) => row.table_schema)).toEqual(['shop']);
    } finally {
      await close();
    }
  });

  it('transactions never interleave on the single embedded connection', async () => {
    const { db, close } = await openServiceDatabase<DB>(
      'shop',
      { kind: 'embedded-memory' },
      migrations,
    );
    try {
      await db.insertInto('counters').values({ name: 'n', value: 0 }).execute();
      // 20 read-modify-write transactions at once: each must see the previous one's write.
      await Promise.all(
        Array.from({ length: 20 }, () =>
          db.transaction().execute(async (trx) => {
            const { value } = await trx
              .selectFrom('counters')
              .select('value')
              .where('name', '=', 'n')
              .executeTakeFirstOrThrow();
            await trx
              .updateTable('counters')
              .set({ value: value + 1 })
              .where('name', '=', 'n')
              .execute();
          }),
        ),
      );
      const { value } = await db
        .selectFrom('counters')
        .select('value')
        .where('name', '=', 'n')
        .executeTakeFirstOrThrow();
      expect(value).toBe(20);
    } finally {
      await close();
    }
  });

  it('reports unique violations so callers can treat a duplicate as a replay', async () => {
    const { db, close } = await openServiceDatabase<DB>(
      'shop',
      { kind: 'embedded-memory' },
      migrations,
    );
    try {
      await db.insertInto('counters').values({ name: 'k', value: 1 }).execute();
      const error = await db
        .insertInto('counters')
        .values({ name: 'k', value: 2 })
        .execute()
        .catch((caught: unknown) => caught);
      expect(isUniqueViolation(error)).toBe(true);
    } finally {
      await close();
    }
  });
});

describe('embedded data directories', () => {
  it('start as copies of one template, and each opens as its own database', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const { prepareEmbeddedDataDirs } = await import('./embedded-template.js');
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-data-'));
    try {
      await prepareEmbeddedDataDirs(root, ['a', 'b']);
      const a = await openServiceDatabase<DB>(
        'a',
        { kind: 'embedded', dataDir: path.join(root, 'a') },
        migrations,
      );
      await a.db.insertInto('counters').values({ name: 'only-in-a', value: 1 }).execute();
      await a.close();
      // A second call leaves existing databases alone.
      await prepareEmbeddedDataDirs(root, ['a', 'b']);
      const again = await openServiceDatabase<DB>(
        'a',
        { kind: 'embedded', dataDir: path.join(root, 'a') },
        migrations,
      );
      const b = await openServiceDatabase<DB>(
        'b',
        { kind: 'embedded', dataDir: path.join(root, 'b') },
        migrations,
      );
      expect(await again.db.selectFrom('counters').select('name').execute()).toEqual([
        { name: 'only-in-a' },
      ]);
      expect(await b.db.selectFrom('counters').select('name').execute()).toEqual([]);
      await again.close();
      await b.close();
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
