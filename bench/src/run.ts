#!/usr/bin/env node
// `npm run bench`: what Citadel's security costs per request, measured. Boots the system
// secured and as the insecure baseline, drives both with autocannon over HTTPS and
// keep-alive, interleaving the two, and writes bench/results/<date>.json plus a table.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BENCH_BASELINE_VAR, REPO_ROOT } from '@citadel/config';
import type autocannon from 'autocannon';
import { runLoad, round, type LoadResult } from './load.js';
import { runMicroBenchmarks, type MicroResult } from './micro.js';
import {
  bootSystemUnderTest,
  cpuMicros,
  ORDER_BODY,
  SERVICES,
  type Mode,
  type Service,
  type SystemUnderTest,
} from './system-under-test.js';
import {
  evaluateTargets,
  markdownReport,
  median,
  type BenchReport,
  type PathReport,
} from './report.js';

export const PATHS = ['read', 'write', 'login'] as const;
export type PathName = (typeof PATHS)[number];
const MODES: Mode[] = ['secured', 'baseline'];

interface Settings {
  smoke: boolean;
  durationS: number;
  warmupS: number;
  initialWarmupS: number;
  connections: number;
  rounds: number;
  microMs: number;
  out: string;
  paths: PathName[];
  cpuProfDir?: string;
}

function settings(argv: string[], env: NodeJS.ProcessEnv): Settings {
  const flag = (name: string) => argv.includes(`--${name}`);
  const option = (name: string, envName: string) => {
    const index = argv.indexOf(`--${name}`);
    return index >= 0 ? argv[index + 1] : env[envName];
  };
  const number = (name: string, envName: string, fallback: number) => {
    const raw = option(name, envName);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new Error(`--${name}: expected a number`);
    return value;
  };
  const smoke = flag('smoke');
  const date = new Date().toISOString().slice(0, 10);
  const cpuProf = option('cpu-prof', 'BENCH_CPU_PROF_DIR');
  return {
    smoke,
    durationS: number('duration', 'BENCH_DURATION_S', smoke ? 1 : 10),
    warmupS: number('warmup', 'BENCH_WARMUP_S', smoke ? 0.5 : 2),
    initialWarmupS: number('initial-warmup', 'BENCH_INITIAL_WARMUP_S', smoke ? 0.5 : 8),
    connections: number('connections', 'BENCH_CONNECTIONS', smoke ? 10 : 50),
    rounds: number('rounds', 'BENCH_ROUNDS', smoke ? 1 : 3),
    microMs: number('micro-ms', 'BENCH_MICRO_MS', smoke ? 20 : 1_000),
    out: path.resolve(
      option('out', 'BENCH_OUT') ??
        path.join(REPO_ROOT, 'bench', 'results', smoke ? `smoke-${date}.json` : `${date}.json`),
    ),
    paths: (option('paths', 'BENCH_PATHS')?.split(',') ?? [...PATHS]).map((name) => {
      if (!(PATHS as readonly string[]).includes(name)) throw new Error(`--paths: no path ${name}`);
      return name as PathName;
    }),
    cpuProfDir: cpuProf ? path.resolve(cpuProf) : undefined,
  };
}

function requestsFor(pathName: PathName, sut: SystemUnderTest): autocannon.Request[] {
  const auth = { authorization: `Bearer ${sut.token}` };
  const json = { 'content-type': 'application/json' };
  switch (pathName) {
    case 'read':
      return [{ method: 'GET', path: `/v1/orders/${sut.orderId}`, headers: auth }];
    case 'write':
      return [
        {
          method: 'POST',
          path: '/v1/orders',
          headers: { ...auth, ...json },
          body: JSON.stringify(ORDER_BODY),
        },
      ];
    case 'login':
      // Every demo user in turn: login is argon2id-bound by design.
      return sut.system.demoUsers.map((user) => ({
        method: 'POST',
        path: '/v1/auth/login',
        headers: json,
        body: JSON.stringify({ email: user.email, password: user.password }),
      }));
  }
}

export interface RunResult extends LoadResult {
  /** CPU µs per successful request, per process (the load generator included). */
  cpuUsPerRequest: Partial<Record<Service | 'loadgen', number>>;
}

async function measure(sut: SystemUnderTest, pathName: PathName, s: Settings): Promise<RunResult> {
  const load = {
    url: sut.system.gatewayUrl,
    ca: sut.ca,
    requests: requestsFor(pathName, sut),
    connections: s.connections,
  };
  await runLoad({ ...load, durationS: s.warmupS });
  const before = snapshotCpu(sut);
  const result = await runLoad({ ...load, durationS: s.durationS });
  const after = snapshotCpu(sut);
  const cpuUsPerRequest: RunResult['cpuUsPerRequest'] = {};
  for (const [name, start] of Object.entries(before) as [Service | 'loadgen', number][]) {
    const end = after[name];
    if (end !== undefined && result.requests > 0)
      cpuUsPerRequest[name] = round((end - start) / result.requests, 1);
  }
  return { ...result, cpuUsPerRequest };
}

function snapshotCpu(sut: SystemUnderTest): Partial<Record<Service | 'loadgen', number>> {
  const usage = process.cpuUsage();
  const snapshot: Partial<Record<Service | 'loadgen', number>> = {
    loadgen: usage.user + usage.system,
  };
  for (const service of SERVICES) {
    const micros = cpuMicros(sut.pids[service]);
    if (micros !== undefined) snapshot[service] = micros;
  }
  return snapshot;
}

/**
 * How fast this machine was during the run, in a unit STACK-NOTES also uses: one thread of
 * randomBytes(32) + SHA-256. A shared or throttled machine shows here first.
 */
function calibrate(): number {
  let ops = 0;
  const until = performance.now() + 300;
  while (performance.now() < until) {
    for (let i = 0; i < 100; i++) createHash('sha256').update(randomBytes(32)).digest();
    ops += 100;
  }
  return Math.round(ops / 0.3);
}

function machine() {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpuCount: cpus.length,
    totalMemGiB: round(os.totalmem() / 2 ** 30, 1),
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.version,
    loadAverageAtStart: os.loadavg().map((value) => round(value, 2)),
    randomBytesSha256OpsPerS: calibrate(),
  };
}

async function main() {
  // The bench itself runs secured (its micro-benchmarks load the real session code); it
  // hands the baseline switch to the baseline system alone.
  if (process.env[BENCH_BASELINE_VAR] !== undefined) {
    throw new Error(`unset ${BENCH_BASELINE_VAR}: the bench sets it for the baseline system only`);
  }
  const s = settings(process.argv.slice(2), process.env);
  const started = Date.now();
  const log = (message: string) =>
    process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0)}s] ${message}\n`);
  const host = machine();
  log(
    `${host.cpuCount}× ${host.cpuModel}, ${host.node}; ${s.rounds} round(s), ${s.durationS} s per ` +
      `path, ${s.connections} connections${s.smoke ? ' (smoke)' : ''}`,
  );

  log('micro-benchmarks ...');
  const micro: MicroResult[] = s.microMs > 0 ? await runMicroBenchmarks({ timeMs: s.microMs }) : [];

  const profiler = pathToFileURL(path.join(REPO_ROOT, 'bench', 'dist', 'cpu-profiler.js')).href;
  const extraEnv: Record<string, string> = s.cpuProfDir
    ? { NODE_OPTIONS: `--import=${profiler}`, BENCH_CPU_PROF_DIR: s.cpuProfDir }
    : {};
  const runs: Record<PathName, Record<Mode, RunResult[]>> = {
    read: { secured: [], baseline: [] },
    write: { secured: [], baseline: [] },
    login: { secured: [], baseline: [] },
  };
  const systems: Partial<Record<Mode, SystemUnderTest>> = {};
  try {
    // Both systems stay up for the whole run and take turns, so both see the same
    // machine: the idle one only wakes for its timers.
    for (const mode of MODES) {
      log(`booting the ${mode} system ...`);
      systems[mode] = await bootSystemUnderTest(mode, extraEnv);
    }
    // One unmeasured pass first: JIT, connection pools and the databases keep getting
    // faster for tens of seconds after a boot, and the first round must not pay for it.
    log(`warm-up pass (${s.initialWarmupS} s per path and mode) ...`);
    for (const pathName of s.paths) {
      for (const mode of MODES) {
        const sut = systems[mode]!;
        await runLoad({
          url: sut.system.gatewayUrl,
          ca: sut.ca,
          requests: requestsFor(pathName, sut),
          connections: s.connections,
          durationS: s.initialWarmupS,
        });
      }
    }
    for (let roundIndex = 0; roundIndex < s.rounds; roundIndex++) {
      // Alternate which mode goes first, so neither always runs on a warmer machine.
      const order = roundIndex % 2 === 0 ? MODES : [...MODES].reverse();
      for (const pathName of s.paths) {
        for (const mode of order) {
          const result = await measure(systems[mode]!, pathName, s);
          runs[pathName][mode].push(result);
          log(
            `round ${roundIndex + 1}/${s.rounds} ${pathName.padEnd(5)} ${mode.padEnd(8)} ` +
              `${result.rps} req/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms` +
              (result.failures ? `, ${result.failures} FAILED` : ''),
          );
        }
      }
    }
  } finally {
    for (const mode of MODES) await systems[mode]?.stop();
  }

  const paths = Object.fromEntries(
    s.paths.map((pathName) => [pathName, summarize(runs[pathName])]),
  ) as BenchReport['paths'];
  const report: BenchReport = {
    date: new Date().toISOString(),
    smoke: s.smoke,
    machine: { ...host, loadAverageAtEnd: os.loadavg().map((value) => round(value, 2)) },
    settings: {
      durationS: s.durationS,
      warmupS: s.warmupS,
      initialWarmupS: s.initialWarmupS,
      connections: s.connections,
      rounds: s.rounds,
      loadGenerator: 'autocannon 9, same machine, HTTPS (TLS 1.3), keep-alive, pipelining 1',
    },
    paths,
    micro,
    targets: evaluateTargets(paths, micro),
  };
  fs.mkdirSync(path.dirname(s.out), { recursive: true });
  fs.writeFileSync(s.out, JSON.stringify(report, null, 2) + '\n');
  process.stdout.write(markdownReport(report));
  log(`wrote ${path.relative(process.cwd(), s.out) || s.out}`);
  const failed = s.paths.some((p) => MODES.some((m) => runs[p][m].some((r) => r.failures > 0)));
  if (failed) {
    log('some requests failed: the numbers above are not a valid measurement');
    process.exitCode = 1;
  }
}

function summarize(byMode: Record<Mode, RunResult[]>): PathReport {
  const side = (results: RunResult[]) => ({
    rps: median(results.map((r) => r.rps)),
    p50Ms: median(results.map((r) => r.p50Ms)),
    p99Ms: median(results.map((r) => r.p99Ms)),
    failures: results.reduce((sum, r) => sum + r.failures, 0),
    cpuUsPerRequest: Object.fromEntries(
      (['loadgen', ...SERVICES] as const).map((name) => [
        name,
        median(results.map((r) => r.cpuUsPerRequest[name] ?? Number.NaN)),
      ]),
    ),
    runs: results,
  });
  const secured = side(byMode.secured);
  const baseline = side(byMode.baseline);
  return {
    secured,
    baseline,
    ratio: round(secured.rps / baseline.rps, 3),
    p99DeltaMs: round(secured.p99Ms - baseline.p99Ms, 2),
  };
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
