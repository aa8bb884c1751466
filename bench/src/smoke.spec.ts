// The bench is a benchmark, not a test: CI only checks that a short run completes against
// the secured system and the baseline (embedded PostgreSQL, and both on a PostgreSQL
// server when CITADEL_BENCH_DB_ADMIN_URL names one) and the floor, and writes
// its JSON with a secured/baseline ratio per path. The numbers of a smoke run mean nothing.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchReport } from './report.js';

const RUN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/run.js');

describe('npm run bench:smoke', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-bench-smoke-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('completes against the secured system, the baseline, each database and the floor and writes its JSON', async () => {
    const out = path.join(dir, 'smoke.json');
    // A variable of the bench's own, so the rest of the suite never boots on it.
    const adminUrl = process.env.CITADEL_BENCH_DB_ADMIN_URL;
    if (!adminUrl) {
      // .ci/run always names one: there, PostgreSQL is always smoked.
      if (process.env.CI) throw new Error('CITADEL_BENCH_DB_ADMIN_URL is unset on CI');
      process.stderr.write('CITADEL_BENCH_DB_ADMIN_URL unset: PostgreSQL not smoked\n');
    }
    const bench = spawn(process.execPath, [RUN, '--smoke', '--out', out], {
      env: {
        PATH: process.env.PATH ?? '',
        ...(adminUrl ? { CITADEL_DB_ADMIN_URL: adminUrl } : {}),
      },
    });
    let output = '';
    bench.stdout.on('data', (chunk) => (output += chunk));
    bench.stderr.on('data', (chunk) => (output += chunk));
    const code = await new Promise<number | null>((resolve) => bench.once('exit', resolve));
    expect({ code, output }).toMatchObject({ code: 0 });

    const report = JSON.parse(fs.readFileSync(out, 'utf8')) as BenchReport;
    expect(report.smoke).toBe(true);
    expect(report.machine.cpuCount).toBeGreaterThan(0);
    for (const name of ['read', 'write', 'login'] as const) {
      const measured = report.paths[name]!;
      expect(measured.secured.rps).toBeGreaterThan(0);
      expect(measured.secured.failures).toBe(0);
      // The baseline served the same requests (its own entry points, bench/src/baseline/).
      expect(measured.baseline.rps).toBeGreaterThan(0);
      expect(measured.baseline.failures).toBe(0);
      expect(measured.ratio).toBeGreaterThan(0);
      expect(Number.isFinite(measured.p99DeltaMs)).toBe(true);
    }
    if (adminUrl) {
      for (const name of ['read', 'write'] as const) {
        const measured = report.paths[name]!;
        expect(measured.postgres!.rps).toBeGreaterThan(0);
        expect(measured.postgres!.failures).toBe(0);
        expect(measured.postgres!.cpuUsPerRequest.order).toBeGreaterThan(0);
        // The server's own processes work for it (this machine's PostgreSQL).
        expect(measured.postgres!.cpuUsPerRequest['postgres server']).toBeGreaterThan(0);
        // The baseline beside it, on the same server, and the cost there.
        expect(measured.postgresBaseline!.rps).toBeGreaterThan(0);
        expect(measured.postgresBaseline!.failures).toBe(0);
        expect(measured.postgresRatio).toBeGreaterThan(0);
      }
      // Argon2id does not depend on the database: the login path runs embedded only.
      expect(report.paths.login!.postgres).toBeUndefined();
    }
    // The read path is measured on this machine's floor too, with the same request.
    expect(report.paths.read!.floor!.rps).toBeGreaterThan(0);
    expect(report.paths.read!.floor!.failures).toBe(0);
    expect(report.micro.map((result) => result.usPerOp).every((us) => us > 0)).toBe(true);
    expect(output).toContain('| path | system | data | req/s');
    expect(output).toContain('| path | data | secured / baseline req/s |');
    // It boots five whole systems one after another: ~80 s on an idle 2-core machine, and
    // well over twice that when other work shares the cores. The deadline is for a hang.
  }, 480_000);
});
