import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';

/**
 * Creates the embedded databases of several services at once, cheaply: `initdb` (the
 * costly part of a new PGlite database, seconds on a small machine) runs once into a
 * template, and each service's data directory starts as a copy of it. Only directories
 * that do not hold a database yet are touched; call it before the services start.
 */
export async function prepareEmbeddedDataDirs(dataRoot: string, services: string[]): Promise<void> {
  const missing = services.filter(
    (service) => !fs.existsSync(path.join(dataRoot, service, 'PG_VERSION')),
  );
  if (missing.length === 0) return;
  fs.mkdirSync(dataRoot, { recursive: true, mode: 0o700 });
  const template = path.join(dataRoot, '.template');
  if (!fs.existsSync(path.join(template, 'PG_VERSION'))) {
    const building = `${template}.${process.pid}`;
    fs.rmSync(building, { recursive: true, force: true });
    const lite = new PGlite(building);
    await lite.waitReady;
    await lite.close();
    fs.rmSync(template, { recursive: true, force: true });
    fs.renameSync(building, template);
  }
  for (const service of missing) {
    const target = path.join(dataRoot, service);
    fs.rmSync(target, { recursive: true, force: true });
    fs.cpSync(template, target, { recursive: true });
    fs.chmodSync(target, 0o700);
  }
}
