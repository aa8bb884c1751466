#!/usr/bin/env node
// `npm run bench`: what Citadel's security costs per request, measured. Boots the system as
// `npm start` does (every defence on) and the bench's insecure baseline (the same modules,
// storage and HTTPS edge, composed in bench/src/baseline/ without the internal security),
// drives both with autocannon over HTTPS and keep-alive, in turns, with this machine's
// floor for the read path (bench/src/floor.ts) and, with `--db postgres`, the secured
// system and the baseline on a PostgreSQL server for the read and write paths, and writes bench/results/<date>.json plus a table.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '@citadel/config';
import type autocannon from 'autocannon';
import { startFloor, type Floor } from './floor.js';
import {
  combineLoads,
  runLoad,
  round,
  type LoadOptions,
  type LoadResult,
  type LoadSample,
} from './load.js';
import { loginRequests, MAX_LOGIN_CONNECTIONS, runLoginLoad } from './login-load.js';
import { runMicroBenchmarks, type MicroResult } from './micro.js';
import {
  describePreAuthMemory,
  runPreAuthMemory,
  type PreAuthMemoryResult,
} from './pre-auth-memory.js';
import { monotonicMicros, summarizeProfile, type Window } from './profile-summary.js';
import { unusedResultFile } from './result-file.js';
import {
  bootSystemUnderTest,
  cpuMicros,
  machineBusyMicros,
  postgresServerMicros,
  ORDER_BODY,
  type Security,
  type Service,
  type SystemUnderTest,
} from './system-under-test.js';
import {
  evaluateTargets,
  markdownReport,
  median,
  type BenchReport,
  type FloorReport,
  type PathReport,
} from './report.js';

export const PATHS = ['read', 'write', 'login'] as const;
export type PathName = (typeof PATHS)[number];
/**
 * The systems a round boots: secured and baseline on embedded PostgreSQL always, and both
 * on a PostgreSQL server with `--db postgres` (read and write paths: what a deployment runs).
 */
type SystemName = Security | 'postgres' | 'postgres baseline';
/** Environment variable naming the PostgreSQL superuser URL (as for `npm start`). */
const DB_ADMIN_URL_VAR = 'CITADEL_DB_ADMIN_URL';

interface Settings {
  smoke: boolean;
  durationS: number;
  slices: number;
  settleS: number;
  initialWarmupS: number;
  connections: number;
  /** The login path's: one account per connection, at most {@link MAX_LOGIN_CONNECTIONS}. */
  loginConnections: number;
  rounds: number;
  microMs: number;
  /** Made-up tokens pushed through the limiter and the bearer path (0: skipped). */
  preAuthTokens: number;
  out: string;
  paths: PathName[];
  /** With `--db postgres`: the read and write paths on PostgreSQL too, through this admin URL. */
  databaseAdminUrl?: string;
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
  const db = option('db', 'BENCH_DB') ?? (smoke ? 'both' : 'embedded');
  if (!['embedded', 'postgres', 'both'].includes(db))
    throw new Error(`--db: embedded, postgres or both, not ${db}`);
  const connections = number('connections', 'BENCH_CONNECTIONS', smoke ? 10 : 50);
  const loginConnections = number(
    'login-connections',
    'BENCH_LOGIN_CONNECTIONS',
    Math.min(connections, MAX_LOGIN_CONNECTIONS),
  );
  if (
    loginConnections < 1 ||
    loginConnections > MAX_LOGIN_CONNECTIONS ||
    !Number.isInteger(loginConnections)
  )
    throw new Error(
      `--login-connections: 1 to ${MAX_LOGIN_CONNECTIONS} (auth's argon2 bound refuses more ` +
        'logins at once by design; see login-load.ts)',
    );
  const adminUrl = env[DB_ADMIN_URL_VAR];
  if (db === 'postgres' && !adminUrl)
    throw new Error(`--db postgres: set ${DB_ADMIN_URL_VAR} to a PostgreSQL superuser URL`);
  return {
    smoke,
    durationS: number('duration', 'BENCH_DURATION_S', smoke ? 2 : 10),
    slices: Math.max(1, Math.round(number('slices', 'BENCH_SLICES', smoke ? 1 : 5))),
    settleS: number('settle', 'BENCH_SETTLE_S', smoke ? 0 : 0.5),
    initialWarmupS: number('initial-warmup', 'BENCH_INITIAL_WARMUP_S', smoke ? 0.5 : 5),
    connections,
    loginConnections,
    rounds: number('rounds', 'BENCH_ROUNDS', smoke ? 1 : 5),
    microMs: number('micro-ms', 'BENCH_MICRO_MS', smoke ? 20 : 1_000),
    preAuthTokens: number('pre-auth-tokens', 'BENCH_PRE_AUTH_TOKENS', smoke ? 20_000 : 1_000_000),
    out: path.resolve(
      option('out', 'BENCH_OUT') ??
        unusedResultFile(path.join(REPO_ROOT, 'bench', 'results'), smoke ? `smoke-${date}` : date),
    ),
    paths: (option('paths', 'BENCH_PATHS')?.split(',') ?? [...PATHS]).map((name) => {
      if (!(PATHS as readonly string[]).includes(name)) throw new Error(`--paths: no path ${name}`);
      return name as PathName;
    }),
    // `both` (the smoke run's default) measures PostgreSQL when a server is configured.
    databaseAdminUrl: db === 'embedded' ? undefined : adminUrl,
    cpuProfDir: cpuProf ? path.resolve(cpuProf) : undefined,
  };
}

function requestsFor(
  pathName: PathName,
  sut: SystemUnderTest,
  loginConnections: number,
): autocannon.Request[] {
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
      // Many customers signing in, each on its own connection (runLoginLoad): one login
      // per account runs at a time (login-throttle.ts), so accounts shared by connections
      // would wait on each other's lock and, past its short wait, get 429.
      return loginRequests(sut.loginAccounts, loginConnections);
  }
}

/**
 * The processes whose CPU a run reports: a system's services, or the floor's two, and for a
 * system on a PostgreSQL server the server's processes on this machine, all of them.
 */
type Measured = Service | 'floor front' | 'floor backend' | 'postgres server';

export interface RunResult extends LoadResult {
  /** CPU µs per successful request, per process (the load generator included). */
  cpuUsPerRequest: Partial<Record<Measured | 'loadgen', number>>;
  /** Share of the machine (all cores) that processes outside the bench used during the run. */
  foreignCpuPct?: number;
  /** Each slice's req/s, in the order they ran (see {@link measureRound}). */
  slicesRps?: number[];
}

/** What one run drives: a booted system, or the floor. */
interface LoadTarget {
  name: SystemName | 'floor';
  url: string;
  ca: Buffer;
  requests: autocannon.Request[];
  pids: Partial<Record<Measured, number>>;
  /** The login path's own connection count and load (login-load.ts); else the run's. */
  connections?: number;
  /** A system on the PostgreSQL server: its CPU is reported as `postgres server`. */
  onPostgresServer?: boolean;
  run?: (options: LoadOptions) => Promise<LoadSample>;
}

/**
 * The machine is shared: a run during which other processes took more than this share of
 * it measures them as much as Citadel. Such a run is repeated (and kept in the report as
 * discarded), up to {@link MAX_ATTEMPTS} times.
 */
const MAX_FOREIGN_CPU_PCT = 15;
const MAX_ATTEMPTS = 3;

type DiscardedRun = RunResult & { path: PathName; mode: SystemName | 'floor' };

/** One slice of a target's run: its load, and what each process's CPU did meanwhile. */
interface Slice {
  load: LoadSample;
  cpuMicros: Partial<Record<Measured | 'loadgen', number>>;
  wallMicros: number;
  foreignMicros: number | undefined;
}

async function measureSlice(
  target: LoadTarget,
  /** Every process the bench started (both systems, the floor): not "others". */
  ours: number[],
  pathName: PathName,
  s: Settings,
  discarded: DiscardedRun[],
  log: (message: string) => void,
  /** Where the measured slice's span goes, for the CPU profiles. */
  windows: Window[],
): Promise<Slice> {
  const load = {
    url: target.url,
    ca: target.ca,
    requests: target.requests,
    connections: target.connections ?? s.connections,
    durationS: s.durationS / s.slices + s.settleS,
    settleS: s.settleS,
  };
  for (let attempt = 1; ; attempt++) {
    const before = snapshotCpu(target, ours);
    const started = performance.now();
    const window = { start: monotonicMicros(), end: 0 };
    const result = await (target.run ?? runLoad)(load);
    window.end = monotonicMicros();
    const wallMicros = (performance.now() - started) * 1000;
    const after = snapshotCpu(target, ours);
    const cpuMicros: Slice['cpuMicros'] = {};
    for (const name of Object.keys(after.perProcess) as (Measured | 'loadgen')[]) {
      const [start, end] = [before.perProcess[name], after.perProcess[name]];
      if (start !== undefined && end !== undefined) cpuMicros[name] = end - start;
    }
    const foreignMicros =
      before.machine !== undefined && after.machine !== undefined
        ? after.machine - before.machine - (after.ours - before.ours)
        : undefined;
    const slice = { load: result, cpuMicros, wallMicros, foreignMicros };
    const run = combineSlices([slice]);
    const crowded = run.foreignCpuPct !== undefined && run.foreignCpuPct > MAX_FOREIGN_CPU_PCT;
    if (!crowded || attempt >= MAX_ATTEMPTS) {
      if (crowded)
        log(
          `${pathName} ${target.name}: still ${run.foreignCpuPct}% taken by others; keeping this slice`,
        );
      windows.push(window);
      return slice;
    }
    discarded.push({ ...run, path: pathName, mode: target.name });
    log(
      `${pathName} ${target.name}: other processes took ${run.foreignCpuPct}% of the machine ` +
        `(${result.rps} req/s); slice discarded and repeated`,
    );
  }
}

/** A target's slices of one round, as one run: pooled requests, latencies and CPU. */
function combineSlices(slices: Slice[]): RunResult {
  const result = combineLoads(slices.map((slice) => slice.load));
  const cpuUsPerRequest: RunResult['cpuUsPerRequest'] = {};
  for (const name of Object.keys(slices[0]?.cpuMicros ?? {}) as (Measured | 'loadgen')[]) {
    const micros = slices.reduce((sum, slice) => sum + (slice.cpuMicros[name] ?? Number.NaN), 0);
    if (Number.isFinite(micros) && result.totalRequests > 0)
      cpuUsPerRequest[name] = round(micros / result.totalRequests, 1);
  }
  const wallMicros = slices.reduce((sum, slice) => sum + slice.wallMicros, 0);
  const foreignMicros = slices.reduce(
    (sum: number | undefined, slice) =>
      sum === undefined || slice.foreignMicros === undefined
        ? undefined
        : sum + slice.foreignMicros,
    0,
  );
  return {
    ...result,
    cpuUsPerRequest,
    ...(foreignMicros !== undefined
      ? { foreignCpuPct: round((100 * foreignMicros) / (wallMicros * os.cpus().length), 1) }
      : {}),
    ...(slices.length > 1 ? { slicesRps: slices.map((slice) => slice.load.rps) } : {}),
  };
}

/**
 * One round of one path: every target's measured time cut into `--slices` slices, run in
 * turns (secured, baseline, floor, secured, ...), each slice's order rotated. This
 * machine's speed swings by a third over a few seconds under a two-core load (two threads
 * of SHA-256 measured 620 to 1,200 ops/ms within 40 s), so targets measured one after the
 * other for 10 s each would compare those swings; slices of 2 s in turns see the same ones.
 */
async function measureRound(
  all: LoadTarget[],
  roundIndex: number,
  ours: number[],
  pathName: PathName,
  s: Settings,
  discarded: DiscardedRun[],
  log: (message: string) => void,
  windows: Record<string, Window[]>,
): Promise<Map<LoadTarget['name'], RunResult>> {
  const slices = new Map<LoadTarget['name'], Slice[]>(all.map((target) => [target.name, []]));
  for (let index = 0; index < s.slices; index++) {
    // Rotate which target goes first, so none always runs on a warmer machine.
    const shift = (roundIndex + index) % all.length;
    for (const target of [...all.slice(shift), ...all.slice(0, shift)]) {
      const slice = await measureSlice(
        target,
        ours,
        pathName,
        s,
        discarded,
        log,
        (windows[`${pathName} ${target.name}`] ??= []),
      );
      slices.get(target.name)!.push(slice);
    }
  }
  return new Map(all.map((target) => [target.name, combineSlices(slices.get(target.name)!)]));
}

interface CpuSnapshot {
  /** Per measured process, and the load generator (this process). */
  perProcess: Partial<Record<Measured | 'loadgen', number>>;
  /** Every process the bench owns, this one included. */
  ours: number;
  machine: number | undefined;
}

function snapshotCpu(target: LoadTarget, ours: number[]): CpuSnapshot {
  const usage = process.cpuUsage();
  const perProcess: CpuSnapshot['perProcess'] = { loadgen: usage.user + usage.system };
  for (const [name, pid] of Object.entries(target.pids) as [Measured, number][]) {
    const micros = cpuMicros(pid);
    if (micros !== undefined) perProcess[name] = micros;
  }
  // The PostgreSQL server works for the bench's systems only: never "others".
  const server = postgresServerMicros();
  if (target.onPostgresServer) perProcess['postgres server'] = server;
  let total = perProcess.loadgen! + server;
  for (const pid of ours) total += cpuMicros(pid) ?? 0;
  return { perProcess, ours: total, machine: machineBusyMicros() };
}

/**
 * How fast this machine was during the run, in a unit comparable across machines: one thread of
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
  const s = settings(process.argv.slice(2), process.env);
  const started = Date.now();
  const log = (message: string) =>
    process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0)}s] ${message}\n`);
  const host = machine();
  log(
    `${host.cpuCount}× ${host.cpuModel}, ${host.node}; ${s.rounds} round(s), ${s.durationS} s per ` +
      `path and target in ${s.slices} slice(s), ${s.connections} connections${s.smoke ? ' (smoke)' : ''}`,
  );
  const onPostgres = !!s.databaseAdminUrl && s.paths.some((name) => name !== 'login');
  if (s.paths.includes('login'))
    log(
      `login path: ${s.loginConnections} connections, each signing in an account of its own ` +
        `(auth runs 2 argon2id checks and queues 16; more than 18 logins at once get 503 by ` +
        `design, so the path runs at most ${MAX_LOGIN_CONNECTIONS})`,
    );
  log(
    onPostgres
      ? 'read and write paths on embedded PostgreSQL and on the PostgreSQL server of ' +
          DB_ADMIN_URL_VAR
      : `read and write paths on embedded PostgreSQL only (--db postgres and ${DB_ADMIN_URL_VAR} add a server)`,
  );

  log('micro-benchmarks ...');
  const micro: MicroResult[] = s.microMs > 0 ? await runMicroBenchmarks({ timeMs: s.microMs }) : [];
  let preAuthMemory: PreAuthMemoryResult | undefined;
  if (s.preAuthTokens > 0) {
    log(
      `pre-auth memory: ${s.preAuthTokens} made-up tokens through the limiter and bearer path ...`,
    );
    preAuthMemory = runPreAuthMemory(s.preAuthTokens);
    log(describePreAuthMemory(preAuthMemory));
  }

  const profiler = pathToFileURL(path.join(REPO_ROOT, 'bench', 'dist', 'cpu-profiler.js')).href;
  const extraEnv: Record<string, string> = s.cpuProfDir
    ? { NODE_OPTIONS: `--import=${profiler}`, BENCH_CPU_PROF_DIR: s.cpuProfDir }
    : {};
  const runs: Record<PathName, Record<SystemName, RunResult[]>> = {
    read: { secured: [], baseline: [], postgres: [], 'postgres baseline': [] },
    write: { secured: [], baseline: [], postgres: [], 'postgres baseline': [] },
    login: { secured: [], baseline: [], postgres: [], 'postgres baseline': [] },
  };
  const floorRuns: RunResult[] = [];
  // The last round's measured runs' spans, per path and system: what the CPU profiles are
  // read over.
  let windows: Record<string, Window[]> = {};
  // The last round's systems and floor: the CPU profiles read are theirs.
  let systems: Partial<Record<SystemName, SystemUnderTest>> = {};
  let floor: Floor | undefined;
  const discarded: DiscardedRun[] = [];
  for (let roundIndex = 0; roundIndex < s.rounds; roundIndex++) {
    // Every round boots its own systems: two boots of the same code differ by up to a
    // quarter in CPU per request and keep that difference for their lifetime (V8's
    // pretenuring was one cause, now off in the services; others remain), so rounds on one
    // pair of boots would measure that pair's luck.
    systems = {};
    floor = undefined;
    windows = {};
    const label = `round ${roundIndex + 1}/${s.rounds}`;
    try {
      // Every system stays up for the whole round and they take turns, so all see the same
      // machine: an idle one only wakes for its timers.
      log(`${label}: booting the secured system (embedded PostgreSQL) ...`);
      systems.secured = await bootSystemUnderTest({ extraEnv });
      log(`${label}: booting the baseline (embedded PostgreSQL) ...`);
      systems.baseline = await bootSystemUnderTest({ security: 'baseline', extraEnv });
      if (onPostgres) {
        log(`${label}: booting the system on PostgreSQL ...`);
        systems.postgres = await bootSystemUnderTest({
          databaseAdminUrl: s.databaseAdminUrl,
          extraEnv,
        });
        log(`${label}: booting the baseline on PostgreSQL, beside it ...`);
        systems['postgres baseline'] = await bootSystemUnderTest({
          security: 'baseline',
          databaseAdminUrl: s.databaseAdminUrl,
          extraEnv,
          besides: systems.postgres,
        });
      }
      if (s.paths.includes('read')) {
        log(`${label}: starting the floor (hand-built HTTPS front → one plaintext gRPC hop) ...`);
        floor = await startFloor(systems.secured.readBody, extraEnv);
      }
      const targets = targetsOf(systems, floor, s.loginConnections);
      const ours = [
        ...Object.values(systems).flatMap((system) => [
          ...Object.values(system.pids),
          system.vaultPid,
        ]),
        ...(floor ? [floor.pids.front, floor.pids.backend] : []),
      ];
      for (const pathName of s.paths) {
        // One unmeasured pass per target first, right before the path is measured: JIT,
        // connection pools and the databases keep getting faster for tens of seconds after
        // a boot, and the path's slices must not pay for another path's load either (its
        // garbage, its JIT state). When every path's pass came first, the first read slice
        // of a target, measured after the write and login passes, was its slowest in most
        // rounds (bench/results/2026-11-24-5.json: 4 of 5 for the secured system).
        log(`${label}: ${pathName} warm-up pass (${s.initialWarmupS} s per target) ...`);
        for (const target of targets(pathName)) {
          await (target.run ?? runLoad)({
            url: target.url,
            ca: target.ca,
            requests: target.requests,
            connections: target.connections ?? s.connections,
            durationS: s.initialWarmupS,
          });
        }
        const results = await measureRound(
          targets(pathName),
          roundIndex,
          ours,
          pathName,
          s,
          discarded,
          log,
          windows,
        );
        for (const [name, result] of results) {
          if (name === 'floor') floorRuns.push(result);
          else runs[pathName][name].push(result);
          log(
            `${label} ${pathName.padEnd(5)} ${name.padEnd(8)} ` +
              `${result.rps} req/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, ` +
              `others ${result.foreignCpuPct ?? '?'}% of the machine` +
              (result.slicesRps ? ` (slices ${result.slicesRps.join(', ')} req/s)` : '') +
              (result.failures ? `, ${result.failures} FAILED` : ''),
          );
        }
      }
    } finally {
      await floor?.stop();
      // Last booted first: a system booted beside another uses its Vault.
      for (const system of Object.values(systems).reverse()) await system.stop();
    }
  }

  const paths = Object.fromEntries(
    s.paths.map((pathName) => [
      pathName,
      summarize(runs[pathName], pathName === 'read' ? floorRuns : []),
    ]),
  ) as BenchReport['paths'];
  const report: BenchReport & {
    preAuthMemory?: PreAuthMemoryResult;
    settings: { loginConnections: number };
  } = {
    date: new Date().toISOString(),
    smoke: s.smoke,
    machine: { ...host, loadAverageAtEnd: os.loadavg().map((value) => round(value, 2)) },
    settings: {
      durationS: s.durationS,
      slices: s.slices,
      settleS: s.settleS,
      initialWarmupS: s.initialWarmupS,
      connections: s.connections,
      rounds: s.rounds,
      loadGenerator:
        'autocannon 9, same machine, HTTPS (TLS 1.3), keep-alive, pipelining 1 ' +
        `(login: ${s.loginConnections} connections, each signing in an account of its own)`,
      loginConnections: s.loginConnections,
    },
    paths,
    discardedRuns: discarded,
    micro,
    ...(preAuthMemory ? { preAuthMemory } : {}),
    targets: evaluateTargets(paths, micro),
    ...(s.cpuProfDir ? { profile: profileSummary(s, systems, floor, windows) } : {}),
  };
  fs.mkdirSync(path.dirname(s.out), { recursive: true });
  fs.writeFileSync(s.out, JSON.stringify(report, null, 2) + '\n');
  process.stdout.write(markdownReport(report));
  if (preAuthMemory) process.stdout.write(`\n${describePreAuthMemory(preAuthMemory)}\n`);
  log(`wrote ${path.relative(process.cwd(), s.out) || s.out}`);
  const failed =
    floorRuns.some((r) => r.failures > 0) ||
    s.paths.some((p) => Object.values(runs[p]).some((all) => all.some((r) => r.failures > 0)));
  if (failed) {
    log('some requests failed: the numbers above are not a valid measurement');
    process.exitCode = 1;
  }
}

/**
 * What each path drives in a round: the secured system and the baseline, for the read
 * path the floor too, and for the read and write paths both systems on PostgreSQL when
 * there is one (the login path's cost, argon2id, does not depend on the database).
 */
function targetsOf(
  systems: Partial<Record<SystemName, SystemUnderTest>>,
  floor: Floor | undefined,
  loginConnections: number,
): (pathName: PathName) => LoadTarget[] {
  return (pathName) => [
    ...(Object.entries(systems) as [SystemName, SystemUnderTest][])
      .filter(([name]) => !name.startsWith('postgres') || pathName !== 'login')
      .map(([name, sut]) => ({
        name,
        url: sut.system.gatewayUrl,
        ca: sut.ca,
        requests: requestsFor(pathName, sut, loginConnections),
        pids: sut.pids,
        onPostgresServer: name.startsWith('postgres'),
        ...(pathName === 'login' ? { connections: loginConnections, run: runLoginLoad } : {}),
      })),
    // The read path is also measured on this machine's floor, with the same request.
    ...(pathName === 'read' && floor
      ? [
          {
            name: 'floor' as const,
            url: floor.url,
            ca: floor.ca,
            requests: requestsFor('read', systems.secured!, loginConnections),
            pids: { 'floor front': floor.pids.front, 'floor backend': floor.pids.backend },
          },
        ]
      : []),
  ];
}

/**
 * With `--cpu-prof`: where the gateway's and order's CPU went (in each system measured),
 * and the floor front's, during the last round's measured runs of the read path (or the
 * first path), by layer.
 */
function profileSummary(
  s: Settings,
  systems: Partial<Record<SystemName, SystemUnderTest>>,
  floor: Floor | undefined,
  windows: Record<string, Window[]>,
): BenchReport['profile'] {
  const dir = s.cpuProfDir!;
  const pathName = s.paths.includes('read') ? 'read' : s.paths[0]!;
  // The profiler names each file `<name>-<pid>.cpuprofile`; the bench knows its pids.
  const fileOf = new Map(
    fs
      .readdirSync(dir)
      .map((file) => [Number(/-(\d+)\.cpuprofile$/.exec(file)?.[1]), path.join(dir, file)]),
  );
  const processes: NonNullable<BenchReport['profile']>['processes'] = {};
  const pids: Record<string, number> = {};
  const add = (name: string, pid: number | undefined, runs: string) => {
    const file = pid === undefined ? undefined : fileOf.get(pid);
    if (!file) return;
    processes[name] = summarizeProfile(file, windows[runs] ?? []);
    pids[name] = pid!;
  };
  for (const [name, system] of Object.entries(systems)) {
    for (const service of ['gateway', 'order'] as const) {
      add(`${service} (${name})`, system.pids[service], `${pathName} ${name}`);
    }
  }
  if (pathName === 'read') add('floor front', floor?.pids.front, 'read floor');
  return { path: pathName, dir, processes, windows, pids };
}

function summarize(bySystem: Record<SystemName, RunResult[]>, floorRuns: RunResult[]): PathReport {
  const side = (results: RunResult[]) => {
    const names = new Set(results.flatMap((r) => Object.keys(r.cpuUsPerRequest)));
    return {
      rps: median(results.map((r) => r.rps)),
      p50Ms: median(results.map((r) => r.p50Ms)),
      p99Ms: median(results.map((r) => r.p99Ms)),
      failures: results.reduce((sum, r) => sum + r.failures, 0),
      cpuUsPerRequest: Object.fromEntries(
        [...names].map((name) => [
          name,
          median(results.map((r) => r.cpuUsPerRequest[name as Measured | 'loadgen'] ?? Number.NaN)),
        ]),
      ),
      runs: results,
    };
  };
  // Paired within each round (their slices took turns), then the median: a burst of
  // noise on a shared machine then moves one pair, not the whole comparison.
  const paired = (against: RunResult[], f: (a: RunResult, b: RunResult) => number) =>
    median(bySystem.secured.map((run, i) => (against[i] ? f(run, against[i]) : Number.NaN)));
  const p99Deltas = (secured: RunResult[], baseline: RunResult[]) =>
    secured.map((run, i) => round(run.p99Ms - (baseline[i]?.p99Ms ?? Number.NaN), 2));
  const p99DeltasMs = p99Deltas(bySystem.secured, bySystem.baseline);
  const onPostgres = bySystem.postgres;
  const postgresBaseline = bySystem['postgres baseline'];
  let floor: FloorReport | undefined;
  if (floorRuns.length > 0) {
    floor = {
      ...side(floorRuns),
      securedRatio: round(
        paired(floorRuns, (a, b) => a.rps / b.rps),
        3,
      ),
      securedP99Ratio: round(
        paired(floorRuns, (a, b) => a.p99Ms / b.p99Ms),
        2,
      ),
    };
  }
  return {
    secured: side(bySystem.secured),
    baseline: side(bySystem.baseline),
    ratio: round(
      paired(bySystem.baseline, (a, b) => a.rps / b.rps),
      3,
    ),
    p99DeltaMs: round(median(p99DeltasMs), 2),
    p99DeltasMs,
    ...(onPostgres.length > 0 ? { postgres: side(onPostgres) } : {}),
    ...(postgresBaseline.length > 0
      ? {
          postgresBaseline: side(postgresBaseline),
          postgresRatio: round(
            median(onPostgres.map((run, i) => run.rps / (postgresBaseline[i]?.rps ?? Number.NaN))),
            3,
          ),
          postgresP99DeltaMs: round(median(p99Deltas(onPostgres, postgresBaseline)), 2),
        }
      : {}),
    ...(floor ? { floor } : {}),
  };
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
