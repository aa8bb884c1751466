import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import {
  DATA_SERVICES,
  DEFAULT_PORTS,
  pkiPaths,
  REPO_ROOT,
  SERVICES,
  serviceEnvName,
  type ServiceName,
} from '@citadel/config';
import { prepareEmbeddedDataDirs } from '@citadel/database';
import { ensureDevPki } from '@citadel/pki';
import { appRoleDir } from '@citadel/secrets';
import {
  bootstrapVault,
  deliverAppRoleCredentials,
  type AppRoleSettings,
} from '@citadel/vault-bootstrap';
import { ensureDemoUsers, type DemoUser } from './demo-users.js';

/** The gateway's replicas after the first (`gateway`): `gateway-2`, `gateway-3`, ... */
export type GatewayReplicaName = `gateway-${number}`;

/**
 * Everything the launcher runs: every registered service, the gateway's further replicas
 * and, in local mode, the Vault stand-in.
 */
export type ProcessName = ServiceName | 'vault' | GatewayReplicaName;

/** The program a process runs: a gateway replica is the gateway. */
const programOf = (name: ProcessName): ServiceName | 'vault' =>
  name.startsWith('gateway-') ? 'gateway' : (name as ServiceName | 'vault');

/**
 * `node --import apps/<service>/dist/instrumentation.js apps/<service>/dist/main.js`: each
 * service of the registry is the app of that name, and its tracing starts in a first
 * module loaded before the app (see @citadel/observability). The Vault stand-in is no
 * service of Citadel's: just its main.
 */
const nodeArgs = (name: ProcessName, entryPoints: SystemOptions['entryPoints'] = {}): string[] => {
  const program = programOf(name);
  if (program === 'vault') return [path.join(REPO_ROOT, 'packages/vault-dev-server/dist/main.js')];
  const app = path.join(REPO_ROOT, 'apps', program, 'dist');
  const main = entryPoints[program] ?? path.join(app, 'main.js');
  return ['--import', path.join(app, 'instrumentation.js'), main];
};

/**
 * Several gateway replicas share their rate-limit counters and revocations (logout, account
 * deletion, revoked API keys) through Redis only: without it, each would count alone and
 * keep serving a token another replica revoked.
 */
export const REPLICAS_NEED_REDIS =
  'GATEWAY_REPLICAS > 1 needs REDIS_URL: replicas share rate-limit counters and ' +
  'revocations through Redis (without it each would count alone and keep serving ' +
  'tokens another replica revoked)';

/** The service every other one fetches its JWT keys from: it starts first. */
const TOKEN_ISSUER: ServiceName = 'auth';

export const DEFAULT_VAULT_PORT = 8200;

/**
 * For harnesses that drive traffic from one address and one token (the e2e suite, the
 * bench): the gateway's rate limits set out of reach, so the budget is not what a test or
 * a measurement runs into. The limiter still runs on every request; a spec that proves
 * the limits sets its own (rate-limits.e2e-spec.ts). `npm start` never uses this.
 */
export const RATE_LIMITS_OUT_OF_REACH: Readonly<Record<string, string>> = {
  GATEWAY_RATE_LIMIT_PER_CREDENTIAL: '10000000',
  GATEWAY_RATE_LIMIT_ANONYMOUS_PER_IP: '10000000',
};

export interface VaultOptions {
  /** A real Vault: its address and an admin token for the bootstrap. */
  addr: string;
  token: string;
}

export interface SystemOptions {
  home: string;
  ports?: Partial<Record<ServiceName, number>>;
  /** Local mode runs the Vault development server on this port. */
  vaultPort?: number;
  /** Use a real Vault instead of the local development server. */
  vault?: VaultOptions;
  /**
   * A PostgreSQL superuser URL: the bootstrap gives each data service its own login role
   * and schema there (credentials in Vault). Without it, each service embeds PostgreSQL.
   */
  databaseAdminUrl?: string;
  /** The services' AppRole settings (token period, secret_id TTL and uses) for the bootstrap. */
  vaultAppRole?: Partial<AppRoleSettings>;
  /**
   * Gateway processes (default 1), each on its own port: `ports.gateway`, then
   * `gatewayReplicaPorts` (default: the ports after it). More than one requires
   * `REDIS_URL` in `env` (REPLICAS_NEED_REDIS).
   */
  gatewayReplicas?: number;
  gatewayReplicaPorts?: number[];
  /** Extra environment for every service (e.g. LOG_LEVEL). */
  env?: Record<string, string>;
  /**
   * Another main module for some services, in place of `apps/<service>/dist/main.js` (its
   * instrumentation still loads first): the bench boots its baseline's entry points this
   * way (bench/src/baseline/). Without it, every service runs its own main.
   */
  entryPoints?: Partial<Record<ServiceName, string>>;
  readyTimeoutMs?: number;
  /** Called when a service exits on its own after the system is up. */
  onUnexpectedExit?: (service: ProcessName, code: number | null) => void;
}

export interface RunningSystem {
  home: string;
  ports: Record<ServiceName, number>;
  gatewayUrl: string;
  /** Every gateway replica's URL, `gatewayUrl` first. */
  gatewayUrls: string[];
  caFile: string;
  demoUsersFile: string;
  demoUsers: DemoUser[];
  /** Where Vault is, and whether it is the local development server. */
  vault: { addr: string; local: boolean };
  logFile(service: ProcessName): string;
  /** The pid of a running process of the system (undefined when it is not running). */
  pidOf(service: ProcessName): number | undefined;
  /** Stops one process (for tests that restart a piece of the system). */
  stopService(service: ProcessName): Promise<void>;
  startService(service: ProcessName): Promise<void>;
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 5_000;

/**
 * Boots Citadel as separate processes: dev PKI and demo users first, then Vault (the
 * local development server unless a real one is given) and its bootstrap, then auth,
 * then every other service of the registry (packages/config) at once. Waits on each one's readiness report and on the
 * gateway's `/readyz` (every downstream answering over mTLS). Never sleeps.
 */
export async function bootSystem(options: SystemOptions): Promise<RunningSystem> {
  const replicaCount = options.gatewayReplicas ?? 1;
  if (!Number.isInteger(replicaCount) || replicaCount < 1)
    throw new Error(`gatewayReplicas must be a whole number ≥ 1, got ${replicaCount}`);
  if (replicaCount > 1 && !options.env?.REDIS_URL) throw new Error(REPLICAS_NEED_REDIS);
  const home = path.resolve(options.home);
  for (const dir of ['logs', 'data'])
    fs.mkdirSync(path.join(home, dir), { recursive: true, mode: 0o700 });
  // The gateway's HTTPS certificate for clients; services' mTLS identities come from Vault.
  await ensureDevPki(home, ['gateway']);
  const demo = ensureDemoUsers(home);
  const ports: Record<ServiceName, number> = { ...DEFAULT_PORTS, ...options.ports };
  const replicaPorts = new Map<GatewayReplicaName, number>(
    Array.from({ length: replicaCount - 1 }, (_, i) => [
      `gateway-${i + 2}`,
      options.gatewayReplicaPorts?.[i] ?? ports.gateway + i + 1,
    ]),
  );
  // Sized for a loaded machine (a laptop building something else, a shared CI runner):
  // the boot is watched for readiness, so a fast machine never waits this long.
  const timeoutMs = options.readyTimeoutMs ?? 120_000;
  const children = new Map<ProcessName, ChildProcess>();
  const vaultPort = options.vaultPort ?? DEFAULT_VAULT_PORT;
  const vaultAddr = options.vault?.addr ?? `http://127.0.0.1:${vaultPort}`;
  let stopping = false;

  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NODE_ENV: process.env.NODE_ENV ?? 'development',
    CITADEL_HOME: home,
    HOST: '127.0.0.1',
    ...Object.fromEntries(
      SERVICES.map((service) => [`${serviceEnvName(service)}_PORT`, String(ports[service])]),
    ),
    VAULT_PORT: String(vaultPort),
    VAULT_ADDR: vaultAddr,
    ...options.env,
  };
  const logFile = (service: ProcessName) => path.join(home, 'logs', `${service}.log`);
  const read = (file: string) => fs.readFileSync(file, 'utf8');
  // The local server writes its root token file when it first starts: read it after that.
  const vaultAdminToken = () =>
    options.vault?.token ?? read(path.join(home, 'vault', 'root-token')).trim();

  /**
   * Each start of a service spends one use of its secret_id: before each, the service is
   * given one that will log in (a new one when the delivered one is spent or near expiry).
   */
  const start = async (service: ProcessName): Promise<void> => {
    const program = programOf(service);
    if (program !== 'vault') {
      await deliverAppRoleCredentials({
        addr: vaultAddr,
        token: vaultAdminToken(),
        service: program,
        dir: appRoleDir(home, program),
      });
    }
    return spawnReady(service);
  };

  const spawnReady = (service: ProcessName): Promise<void> =>
    new Promise((resolve, reject) => {
      const log = fs.openSync(logFile(service), 'a', 0o600);
      const child = spawn(process.execPath, nodeArgs(service, options.entryPoints), {
        env: service.startsWith('gateway-')
          ? { ...env, GATEWAY_PORT: String(replicaPorts.get(service as GatewayReplicaName)) }
          : env,
        stdio: ['ignore', log, log, 'ipc'],
      });
      fs.closeSync(log);
      children.set(service, child);
      const timer = setTimeout(() => fail(new Error(`not ready after ${timeoutMs} ms`)), timeoutMs);
      const fail = (error: Error) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(
          new Error(`${service} failed to start: ${error.message}\n${tail(logFile(service))}`),
        );
      };
      child.once('error', fail);
      child.on('message', (message: { type?: string }) => {
        if (message?.type === 'ready') {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        children.delete(service);
        if (!stopping) {
          fail(new Error(`exited with code ${code}`));
          options.onUnexpectedExit?.(service, code);
        }
      });
    });

  const stopService = async (service: ProcessName) => {
    const child = children.get(service);
    if (!child || child.exitCode !== null) return;
    children.delete(service);
    child.removeAllListeners('exit');
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };

  const stop = async () => {
    stopping = true;
    // Vault goes last, so no service sees it vanish while shutting down.
    await Promise.all([...children.keys()].filter((name) => name !== 'vault').map(stopService));
    await stopService('vault');
  };

  const caFile = pkiPaths(home).caCert;
  const gatewayUrl = `https://127.0.0.1:${ports.gateway}`;
  try {
    if (!options.vault) await start('vault');
    const pki = pkiPaths(home);
    // How long services' mTLS certificates live (Vault duration; the bootstrap's 4h unless set).
    const certificateTtl = options.env?.CITADEL_CERT_TTL ?? process.env.CITADEL_CERT_TTL;
    // How often Vault rotates each service's database password (the bootstrap's 24h unless set).
    const databaseRotationPeriod =
      options.env?.CITADEL_DB_ROTATION_PERIOD ?? process.env.CITADEL_DB_ROTATION_PERIOD;
    await bootstrapVault({
      addr: vaultAddr,
      token: vaultAdminToken(),
      credentialsDir: (service) => appRoleDir(home, service),
      edgeTls: { cert: read(pki.cert('gateway')), key: read(pki.key('gateway')) },
      ...(certificateTtl ? { workloadPki: { certificateTtl } } : {}),
      demoUsers: demo.users,
      ...(options.databaseAdminUrl ? { databaseAdminUrl: options.databaseAdminUrl } : {}),
      ...(databaseRotationPeriod ? { databaseRotationPeriod } : {}),
      ...(options.vaultAppRole ? { appRole: options.vaultAppRole } : {}),
    });
    if (!options.databaseAdminUrl) {
      // initdb once, not once per service: the embedded databases start as copies.
      await prepareEmbeddedDataDirs(path.join(home, 'data'), [...DATA_SERVICES]);
    }
    await start(TOKEN_ISSUER);
    await Promise.all(SERVICES.filter((service) => service !== TOKEN_ISSUER).map(start));
    // One at a time: replicas share the gateway's delivered AppRole credentials, and each
    // start spends a use of its secret_id.
    for (const replica of replicaPorts.keys()) await start(replica);
    await waitForReady(`${gatewayUrl}/readyz`, fs.readFileSync(caFile), timeoutMs);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    home,
    ports,
    gatewayUrl,
    gatewayUrls: [
      gatewayUrl,
      ...[...replicaPorts.values()].map((port) => `https://127.0.0.1:${port}`),
    ],
    caFile,
    demoUsersFile: demo.file,
    demoUsers: demo.users,
    vault: { addr: vaultAddr, local: !options.vault },
    logFile,
    pidOf: (service: ProcessName) => children.get(service)?.pid,
    stopService,
    startService: start,
    stop,
  };
}

function tail(file: string, lines = 20): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

async function waitForReady(url: string, ca: Buffer, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  for (let delay = 25; Date.now() < deadline; delay = Math.min(delay * 2, 500)) {
    const status = await new Promise<number>((resolve) => {
      https
        .get(url, { ca, timeout: 2_000 }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        })
        .on('error', (error) => {
          last = error.message;
          resolve(0);
        });
    });
    if (status === 200) return;
    if (status) last = `HTTP ${status}`;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
  throw new Error(`gateway not ready at ${url}: ${last}`);
}
