import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { lockWorkspaces, productionPackages, type PackageLock } from './image-dependencies.js';
import { repoPaths } from './repo-paths.js';

/** The database drivers: embedded PostgreSQL and the PostgreSQL client. */
const DATABASE_DRIVERS = ['@electric-sql/pglite', 'pg'];

function readLock(dir: string): PackageLock {
  return JSON.parse(fs.readFileSync(path.join(dir, 'package-lock.json'), 'utf8')) as PackageLock;
}

/**
 * The gateway is the Internet-facing process and owns no data: its image carries no database
 * driver, so a compromised edge has no database code to turn against the services' stores.
 * Checked on what the Dockerfile builds from: `turbo prune @citadel/gateway`.
 */
describe('the gateway image (turbo prune @citadel/gateway)', () => {
  let out: string;
  let lock: PackageLock;

  beforeAll(() => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-prune-'));
    execFileSync('npx', ['--no-install', 'turbo', 'prune', '@citadel/gateway', '--out-dir', out], {
      cwd: repoPaths.root,
      stdio: 'pipe',
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
    });
    lock = readLock(out);
  }, 60_000);

  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  it('holds no database workspace and no PGlite at all', () => {
    expect(lockWorkspaces(lock)).toContain('apps/gateway');
    expect(lockWorkspaces(lock)).not.toContain('packages/database');
    expect(fs.existsSync(path.join(out, 'packages', 'database'))).toBe(false);
    const pglite = Object.keys(lock.packages).filter((location) =>
      location.endsWith('node_modules/@electric-sql/pglite'),
    );
    expect(pglite).toEqual([]);
  });

  it('installs no database driver in its runtime stage (npm ci --omit=dev)', () => {
    const shipped = productionPackages(lock, 'apps/gateway');
    // The walk reaches what the gateway does run: its token checks and its framework.
    expect([...shipped]).toEqual(expect.arrayContaining(['@citadel/auth', 'jose', 'fastify']));
    expect(DATABASE_DRIVERS.filter((driver) => shipped.has(driver))).toEqual([]);
  });

  it('copies the shared TypeScript, Jest and ESLint configuration the build stage extends', () => {
    // Workspace packages, not root files: the Dockerfile's build stage compiles from the
    // pruned tree alone, and turbo's hash of every task follows these packages.
    const shared = ['packages/tsconfig', 'packages/jest-config', 'packages/eslint-config'];
    expect(lockWorkspaces(lock)).toEqual(expect.arrayContaining(shared));
    const tsconfig = JSON.parse(
      fs.readFileSync(path.join(out, 'apps', 'gateway', 'tsconfig.json'), 'utf8'),
    ) as { extends: string };
    expect(tsconfig.extends).toBe('@citadel/tsconfig/base.json');
    expect(fs.existsSync(path.join(out, 'packages', 'tsconfig', 'base.json'))).toBe(true);
    expect(fs.existsSync(path.join(out, 'packages', 'jest-config', 'index.js'))).toBe(true);
    expect(fs.existsSync(path.join(out, 'packages', 'eslint-config', 'index.js'))).toBe(true);
    // ...and none of them is shipped: they are every workspace's dev dependencies.
    const shipped = productionPackages(lock, 'apps/gateway');
    expect(
      [...shipped].filter((name) => /^@citadel\/(tsconfig|jest-config|eslint-config)$/.test(name)),
    ).toEqual([]);
  });

  it('would see a driver: a data service ships both', () => {
    const shipped = productionPackages(readLock(repoPaths.root), 'packages/service-kit');
    expect(DATABASE_DRIVERS.filter((driver) => shipped.has(driver))).toEqual(DATABASE_DRIVERS);
  });
});
