import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '@citadel/launcher';
import type { PostgresServer } from './postgres-system.js';

/**
 * A PostgreSQL server of the spec's own that checks every password (SCRAM-SHA-256 for every
 * TCP login, the superuser's included). This machine's server trusts every local login, so a
 * rotated password could not be told from the old one there: a spec that proves the old
 * password stops working needs a server that asks for it. Started from the PostgreSQL
 * binaries already installed (`pg_config --bindir`), in a fresh directory, on a free port,
 * as the `postgres` OS user when the spec runs as root (initdb refuses root).
 */
export interface PasswordPostgres {
  server: PostgresServer;
  stop(): Promise<void>;
}

function binDir(): string | undefined {
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
    if (fs.existsSync(path.join(dir, 'initdb'))) return dir;
  } catch {
    // no pg_config on PATH: look where Debian installs the server
  }
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return undefined;
  const versions = fs.readdirSync(root).sort((a, b) => Number(b) - Number(a));
  return versions
    .map((version) => path.join(root, version, 'bin'))
    .find((dir) => fs.existsSync(path.join(dir, 'initdb')));
}

/** The uid/gid to run the server as: ours, or `postgres`'s when we are root. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) =>
    Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** Whether this machine can start one; says why not (once) when it cannot. */
export function passwordPostgresAvailable(why: string): boolean {
  let reason: string | undefined;
  if (!binDir()) reason = 'no PostgreSQL server binaries (initdb, pg_ctl)';
  else {
    try {
      runAs();
    } catch {
      reason = 'running as root and there is no postgres OS user to run initdb as';
    }
  }
  if (!reason) return true;
  if (process.env.CI) throw new Error(`${why}: ${reason}, and CI runs this spec`);
  console.warn(`${why}: skipped, ${reason}`);
  return false;
}

export async function startPasswordPostgres(): Promise<PasswordPostgres> {
  const bin = binDir();
  if (!bin) throw new Error('no PostgreSQL server binaries');
  const owner = runAs();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-pg-'));
  const data = path.join(dir, 'data');
  const password = randomBytes(18).toString('base64url');
  const pwfile = path.join(dir, 'pwfile');
  fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (owner) {
    fs.chownSync(dir, owner.uid, owner.gid);
    fs.chownSync(pwfile, owner.uid, owner.gid);
  }
  const run = (command: string, args: string[]) => {
    const result = spawnSync(path.join(bin, command), args, {
      encoding: 'utf8',
      cwd: dir,
      ...(owner ?? {}),
      timeout: 120_000,
    });
    if (result.status !== 0) {
      throw new Error(`${command} failed (${result.status}): ${result.stderr || result.stdout}`);
    }
  };
  const port = await freePort();
  const stop = async () => {
    if (fs.existsSync(path.join(data, 'postmaster.pid'))) {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // already gone
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    run('initdb', [
      '-D',
      data,
      '-U',
      'postgres',
      `--pwfile=${pwfile}`,
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      '-E',
      'UTF8',
      '--no-sync',
    ]);
    run('pg_ctl', [
      '-D',
      data,
      '-l',
      path.join(dir, 'server.log'),
      '-w',
      '-t',
      '60',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off`,
      'start',
    ]);
    const server: PostgresServer = {
      host: '127.0.0.1',
      port,
      user: 'postgres',
      password,
      database: 'postgres',
    };
    const client = new pg.Client(server);
    await client.connect();
    await client.end();
    return { server, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
