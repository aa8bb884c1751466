import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import {
  DATA_SERVICES,
  GRPC_SERVICES,
  REPO_ROOT,
  SERVICES,
  serviceEnvName,
  spiffeId,
  type ServiceName,
} from '@citadel/config';
import { freePort, freePorts, type DemoUser } from '@citadel/launcher';
import { Redis } from 'ioredis';
import { LOCAL_POSTGRES_ADMIN } from '@citadel/testing';
import { roleName } from '@citadel/vault-bootstrap';
import { containerLayout, type ContainerLayout } from '../../infra/docker/container-layout.mjs';
import { asAdmin } from './postgres-system.js';
import { STATE_ENV, type E2eState } from './state.js';

/** The init image's entry point: `citadel-init <command>`, as docker-compose.yml runs it. */
const CITADEL_INIT = path.join(REPO_ROOT, 'infra/docker/citadel-init.mjs');
const HEALTHCHECK = path.join(REPO_ROOT, 'infra/docker/healthcheck.mjs');
const VAULT_SERVER = path.join(REPO_ROOT, 'packages/vault-dev-server/dist/main.js');
const REDIS_CONF = path.join(REPO_ROOT, 'infra/docker/redis.conf');
/** Loaded first in the gateway's containers: REDIS_URL from the password file. */
const REDIS_URL_HOOK = path.join(REPO_ROOT, 'infra/docker/redis-url.mjs');
const LOOPBACK = '127.0.0.1';
const TOKEN_ISSUER: ServiceName = 'auth';
const EDGE: ServiceName = 'gateway';
const STOP_GRACE_MS = 5_000;
const READY_TIMEOUT_MS = 60_000;

/**
 * docker-compose.yml's stack as processes on this machine: the init steps of the init
 * image, the local Vault server in Vault's shape (uninitialised, HTTPS with the certificate
 * secrets-init made for it), a Redis of its own on compose's redis.conf, this machine's
 * PostgreSQL in a database of its own, and every service started with only what the init
 * steps delivered to its volumes.
 */
export interface ComposeRehearsal {
  /** CITADEL_CONTAINER_ROOT: the volumes of the compose file, one directory each. */
  layout: ContainerLayout;
  vaultAddr: string;
  /** The gateway's two replicas (compose's `deploy.replicas: 2`), sharing compose's Redis. */
  gatewayUrls: [string, string];
  /** The demo accounts and the passwords vault-init generated for them. */
  demoUsers: DemoUser[];
  logFile(name: string): string;
  /** Stops Vault, as `docker compose restart vault` does (the unseal loop keeps running). */
  stopVault(): Promise<void>;
  /** Starts Vault again on the same state and port: initialised and sealed, as Vault restarts. */
  startVault(): Promise<void>;
  /**
   * Runs the one-shot steps again, as every `docker compose up` does: secrets-init, then
   * vault-init (logs `secrets-init-<n>`, `vault-init-<n>`).
   */
  composeUpAgain(): Promise<void>;
  /** Runs a service's image health check now; resolves its exit code (0: healthy). */
  healthCheck(service: ServiceName): Promise<number | null>;
  /** Stops one service and starts it again, as the daemon restarts a container. */
  restartService(service: ServiceName): Promise<void>;
  /**
   * Runs vault-unseal's health check (`citadel-init unseal-check`) and resolves its exit
   * code (null: ended by a signal).
   */
  unsealCheck(): Promise<number | null>;
  dispose(): Promise<void>;
}

/** One process of the rehearsal, with its output in `<root>/logs/<name>.log`. */
interface Launched {
  child: ChildProcess;
  exited: Promise<number | null>;
}

/**
 * Runs the compose file's init steps, then its services, and points the e2e helpers (api,
 * tokenFor, grpcClient) at the result. On any failure everything started is torn down,
 * the database and its roles dropped, and the error names the step with its log's tail.
 */
export async function rehearseCompose(): Promise<ComposeRehearsal> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-compose-'));
  const layout = containerLayout(root);
  const logs = path.join(root, 'logs');
  // vault-unseal's heartbeat goes to $TMPDIR: in compose a tmpfs of its own.
  const tmp = path.join(root, 'tmp');
  for (const dir of [logs, tmp]) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const logFile = (name: string) => path.join(logs, `${name}.log`);
  const database = `citadel_compose_${randomBytes(4).toString('hex')}`;
  const ports = await freePorts(SERVICES);
  const vaultPort = await freePort();
  const vaultAddr = `https://${LOOPBACK}:${vaultPort}`;
  const redisPort = await freePort();
  const gateway2Port = await freePort();
  const running = new Map<string, Launched>();
  const previousState = process.env[STATE_ENV];

  const launch = (
    name: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    program = process.execPath,
  ): Launched => {
    const log = fs.openSync(logFile(name), 'a', 0o600);
    const child = spawn(program, args, {
      cwd: REPO_ROOT,
      // Nothing of the test runner's environment: each step gets what compose gives it.
      env: { PATH: process.env.PATH, ...env },
      // An IPC channel for Node processes: Citadel's exit when it closes, so a test runner
      // that dies leaves none of them behind.
      stdio: ['ignore', log, log, ...(program === process.execPath ? ['ipc' as const] : [])],
    });
    fs.closeSync(log);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const launched = { child, exited };
    running.set(name, launched);
    void exited.then(() => running.get(name) === launched && running.delete(name));
    return launched;
  };

  /** A one-shot step (`restart: 'no'`): it must exit 0, as compose's depends_on requires. */
  const runInit = async (name: string, command: string, env: NodeJS.ProcessEnv) => {
    const code = await launch(name, [CITADEL_INIT, command], env).exited;
    if (code !== 0) throw new Error(`${name} exited with ${code}\n${tail(logFile(name))}`);
  };

  /** The Vault server: it reports readiness over IPC (Vault's own health check is `vault status`). */
  const startReady = async (name: string, args: string[], env: NodeJS.ProcessEnv) => {
    const { child, exited } = launch(name, args, env);
    const outcome = await within(
      READY_TIMEOUT_MS,
      `${name} to report ready`,
      new Promise<'ready' | { exitCode: number | null }>((resolve) => {
        child.on('message', (message: { type?: string }) => {
          if (message?.type === 'ready') resolve('ready');
        });
        void exited.then((exitCode) => resolve({ exitCode }));
      }),
    );
    if (outcome !== 'ready')
      throw new Error(
        `${name} exited with ${outcome.exitCode} before it was ready\n${tail(logFile(name))}`,
      );
  };

  const stop = async (name: string) => {
    const launched = running.get(name);
    if (!launched) return;
    launched.child.kill('SIGTERM');
    const timer = setTimeout(() => launched.child.kill('SIGKILL'), STOP_GRACE_MS);
    await launched.exited;
    clearTimeout(timer);
  };

  // The compose file's `vault` service: server mode, HTTPS with the certificate of the
  // vault-tls volume, file storage that survives a restart. Each start logs to its own file.
  let vaultStarts = 0;
  const startVault = () =>
    startReady(`vault-${++vaultStarts}`, [VAULT_SERVER], {
      CITADEL_HOME: path.join(root, 'vault-data'),
      HOST: LOOPBACK,
      VAULT_PORT: String(vaultPort),
      VAULT_DEV_UNINITIALIZED: 'true',
      VAULT_DEV_TLS_CERT_FILE: path.join(layout.vaultTlsDir, 'vault.pem'),
      VAULT_DEV_TLS_KEY_FILE: path.join(layout.vaultTlsDir, 'vault-key.pem'),
    });
  const stopVault = () => stop(`vault-${vaultStarts}`);

  // x-citadel-env of docker-compose.yml, with loopback and free ports in place of the
  // compose network's names. PGSSLMODE=verify-full is left out: this machine's PostgreSQL
  // speaks no TLS (compose's is TLS-only, with the certificate secrets-init makes).
  const serviceEnv: NodeJS.ProcessEnv = {
    CITADEL_DEPLOYMENT: 'container',
    CITADEL_HOME: layout.home,
    HOST: LOOPBACK,
    ...Object.fromEntries(
      GRPC_SERVICES.map((service) => [`${serviceEnvName(service)}_HOST`, LOOPBACK]),
    ),
    ...Object.fromEntries(
      SERVICES.map((service) => [`${serviceEnvName(service)}_PORT`, String(ports[service])]),
    ),
    VAULT_ADDR: vaultAddr,
    VAULT_CACERT: layout.caFile,
    NODE_EXTRA_CA_CERTS: layout.caFile,
    LOG_LEVEL: 'info',
  };
  // The compose file's `redis`: its own redis.conf, with the paths of the redis-secrets
  // volume and a free port of loopback in place of the container's.
  const redisAddress = `rediss://${LOOPBACK}:${redisPort}`;
  const startRedis = async () => {
    const conf = path.join(root, 'redis.conf');
    fs.writeFileSync(
      conf,
      rewriteRedisConf(fs.readFileSync(REDIS_CONF, 'utf8'), {
        secretsDir: layout.redisDir,
        port: redisPort,
        host: LOOPBACK,
        dir: tmp,
      }),
    );
    launch('redis', [conf], {}, 'redis-server');
    // Its health check: an authenticated PING over TLS, the certificate checked.
    await until('redis to answer an authenticated PING over TLS', () => redisPing(), 20_000);
  };
  const redisPing = async () => {
    const client = new Redis(redisAddress, {
      password: fs.readFileSync(path.join(layout.redisDir, 'password'), 'utf8').trim(),
      tls: { ca: fs.readFileSync(layout.caFile), minVersion: 'TLSv1.3' },
      lazyConnect: true,
      connectTimeout: 1_000,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return (await client.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      client.disconnect();
    }
  };

  /** Where each process of a service listens: the gateway's replicas each on their own port. */
  const replicaPorts: Record<string, number> = { ...ports, 'gateway-2': gateway2Port };
  const programOf = (name: string) => (name.startsWith('gateway-') ? EDGE : (name as ServiceName));

  /**
   * The compose file's health check of a Citadel image: exit code 0 is healthy. It runs in
   * the service's container, with its environment: Vault's address and CA, to read the mesh
   * CA it checks a gRPC service's certificate against.
   */
  const healthCheck = (name: string) => {
    fs.mkdirSync(path.join(tmp, name), { recursive: true, mode: 0o700 });
    return launch(`${name}-healthcheck`, [HEALTHCHECK], {
      CITADEL_SERVICE: programOf(name),
      CITADEL_CA_FILE: layout.caFile,
      VAULT_ADDR: vaultAddr,
      VAULT_CACERT: layout.caFile,
      // The container's /tmp, where the check keeps the mesh CA it last read.
      TMPDIR: path.join(tmp, name),
      [`${serviceEnvName(programOf(name))}_PORT`]: String(replicaPorts[name]),
    }).exited;
  };

  /**
   * A service's process, as its container runs it: the gateway's entry point loads
   * redis-url.mjs first. It is up when the health check passes (`depends_on: service_healthy`).
   */
  const startService = async (name: string) => {
    const service = programOf(name);
    const app = path.join(REPO_ROOT, 'apps', service, 'dist');
    const gateway = service === EDGE;
    const { exited } = launch(
      name,
      [
        ...(gateway ? ['--import', REDIS_URL_HOOK] : []),
        '--import',
        path.join(app, 'instrumentation.js'),
        path.join(app, 'main.js'),
      ],
      gateway
        ? {
            ...serviceEnv,
            GATEWAY_PORT: String(replicaPorts[name]),
            REDIS_PASSWORD_FILE: path.join(layout.redisDir, 'password'),
            REDIS_ADDRESS: redisAddress,
          }
        : serviceEnv,
    );
    let exitCode: number | null | undefined;
    void exited.then((code) => (exitCode = code));
    await until(
      `${name} to be healthy`,
      async () => {
        if (exitCode !== undefined)
          throw new Error(`${name} exited with ${exitCode}\n${tail(logFile(name))}`);
        return (await healthCheck(name)) === 0;
      },
      READY_TIMEOUT_MS,
    );
  };

  // Each step's environment in docker-compose.yml; PostgreSQL is this machine's.
  let composeUps = 0;
  // secrets-init: no network, CITADEL_HOME only.
  const runSecretsInit = () =>
    runInit(`secrets-init-${composeUps}`, 'secrets', {
      CITADEL_CONTAINER_ROOT: root,
      CITADEL_HOME: layout.home,
    });
  const runVaultInit = () =>
    runInit(`vault-init-${composeUps}`, 'vault', {
      CITADEL_CONTAINER_ROOT: root,
      CITADEL_HOME: layout.home,
      VAULT_ADDR: vaultAddr,
      VAULT_AUDIT_FILE_PATH: 'stdout',
      NODE_EXTRA_CA_CERTS: layout.caFile,
      POSTGRES_HOST: LOCAL_POSTGRES_ADMIN.host,
      POSTGRES_PORT: String(LOCAL_POSTGRES_ADMIN.port),
      POSTGRES_DB: database,
      POSTGRES_USER: LOCAL_POSTGRES_ADMIN.user,
      POSTGRES_PASSWORD_FILE: path.join(layout.postgresDir, 'password'),
    });

  const dispose = async () => {
    // The services first, so none sees Vault or Redis vanish while it shuts down.
    const infrastructure = (name: string) => name.startsWith('vault-') || name === 'redis';
    const services = [...running.keys()].filter((name) => !infrastructure(name));
    await Promise.all(services.map(stop));
    await Promise.all([...running.keys()].map(stop));
    await asAdmin(async (client) => {
      await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      for (const service of DATA_SERVICES)
        await client.query(`DROP ROLE IF EXISTS ${roleName(database, service)}`);
    });
    if (previousState) process.env[STATE_ENV] = previousState;
    else delete process.env[STATE_ENV];
    fs.rmSync(root, { recursive: true, force: true });
  };

  try {
    await asAdmin((client) => client.query(`CREATE DATABASE ${database}`));
    composeUps += 1;
    await runSecretsInit();
    await startRedis();
    await startVault();
    // vault-unseal starts once Vault answers, beside vault-init, and never stops.
    launch('vault-unseal', [CITADEL_INIT, 'unseal'], {
      CITADEL_CONTAINER_ROOT: root,
      VAULT_ADDR: vaultAddr,
      TMPDIR: tmp,
    });
    await runVaultInit();
    // depends_on: auth (the token issuer) first, the gateway last, the others in between.
    await startService(TOKEN_ISSUER);
    await Promise.all(
      SERVICES.filter((service) => service !== TOKEN_ISSUER && service !== EDGE).map(startService),
    );
    // Two replicas, one after the other: each start spends a use of the gateway's secret_id.
    await startService(EDGE);
    await startService('gateway-2');
  } catch (error) {
    await dispose();
    throw error;
  }

  const demoUsers = JSON.parse(
    fs.readFileSync(path.join(layout.adminDir, 'demo-users.json'), 'utf8'),
  ) as DemoUser[];
  let mesh: E2eState['mesh'];
  try {
    mesh = await issueRehearsalMesh(layout, vaultAddr, path.join(root, 'mesh'));
  } catch (error) {
    await dispose();
    throw error;
  }
  const stateFile = path.join(root, 'e2e-state.json');
  fs.writeFileSync(
    stateFile,
    JSON.stringify({
      home: layout.home,
      gatewayUrl: `https://${LOOPBACK}:${ports.gateway}`,
      ports,
      vaultAddr,
      caFile: layout.caFile,
      users: demoUsers,
      mesh,
    }),
  );
  process.env[STATE_ENV] = stateFile;

  return {
    layout,
    vaultAddr,
    gatewayUrls: [`https://${LOOPBACK}:${ports.gateway}`, `https://${LOOPBACK}:${gateway2Port}`],
    demoUsers,
    logFile,
    stopVault,
    startVault,
    async composeUpAgain() {
      composeUps += 1;
      await runSecretsInit();
      await runVaultInit();
    },
    healthCheck: (service) => healthCheck(service),
    async restartService(service) {
      await stop(service);
      await startService(service);
    },
    async unsealCheck() {
      return launch('vault-unseal-check', [CITADEL_INIT, 'unseal-check'], {
        CITADEL_CONTAINER_ROOT: root,
        TMPDIR: tmp,
      }).exited;
    },
    dispose,
  };
}

/**
 * Mesh certificates (1 h) from the rehearsed Vault's PKI engine, one per service, for the
 * specs that play a peer (support/grpc.ts): issued with the root token vault-init kept, over
 * Vault's HTTPS checked against the infrastructure CA, as an operator would.
 */
async function issueRehearsalMesh(
  layout: ContainerLayout,
  vaultAddr: string,
  dir: string,
): Promise<E2eState['mesh']> {
  const { root_token: token } = JSON.parse(
    fs.readFileSync(path.join(layout.adminDir, 'vault-init.json'), 'utf8'),
  ) as { root_token: string };
  const ca = fs.readFileSync(layout.caFile);
  const issue = (service: ServiceName) =>
    new Promise<{ certificate: string; private_key: string; issuing_ca: string }>(
      (resolve, reject) => {
        const request = https.request(
          `${vaultAddr}/v1/pki/issue/${service}`,
          { method: 'POST', ca, headers: { 'X-Vault-Token': token } },
          (response) => {
            let body = '';
            response.setEncoding('utf8');
            response.on('data', (chunk: string) => (body += chunk));
            response.on('end', () =>
              response.statusCode === 200
                ? resolve((JSON.parse(body) as { data: never }).data)
                : reject(new Error(`pki/issue/${service}: HTTP ${response.statusCode} ${body}`)),
            );
          },
        );
        request.on('error', reject);
        request.end(
          JSON.stringify({
            common_name: `${service}.citadel.local`,
            uri_sans: spiffeId(service),
            ttl: '1h',
          }),
        );
      },
    );
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const identities: Record<string, { cert: string; key: string }> = {};
  let issuingCa = '';
  for (const service of SERVICES) {
    const issued = await issue(service);
    issuingCa = issued.issuing_ca;
    identities[service] = {
      cert: path.join(dir, `${service}.pem`),
      key: path.join(dir, `${service}-key.pem`),
    };
    fs.writeFileSync(identities[service].cert, issued.certificate, { mode: 0o600 });
    fs.writeFileSync(identities[service].key, issued.private_key, { mode: 0o600 });
  }
  fs.writeFileSync(path.join(dir, 'ca.pem'), issuingCa);
  return {
    ca: path.join(dir, 'ca.pem'),
    identities: identities as E2eState['mesh']['identities'],
  };
}

/**
 * docker-compose.yml's redis.conf as it runs outside a container: the redis-secrets
 * volume's path, loopback and a port of this machine's. Every line it rewrites must be
 * there, so a change to the compose file's Redis shows here instead of passing unseen.
 */
export function rewriteRedisConf(
  conf: string,
  to: { secretsDir: string; port: number; host: string; dir: string },
): string {
  const rewrites: [RegExp, string][] = [
    [/\/run\/citadel\/redis/g, to.secretsDir],
    [/^tls-port 6379$/m, `tls-port ${to.port}`],
    [/^bind 0\.0\.0\.0$/m, `bind ${to.host}`],
    [/^dir \/tmp$/m, `dir ${to.dir}`],
  ];
  return rewrites.reduce((text, [pattern, replacement]) => {
    if (!pattern.test(text)) throw new Error(`redis.conf no longer has ${pattern}`);
    pattern.lastIndex = 0;
    return text.replace(pattern, replacement);
  }, conf);
}

/**
 * Whether `redis-server` can be run here (the rehearsal runs its own, TLS-only, as compose
 * does), or `false` and one line saying what is skipped. On CI, where .ci/run starts Redis
 * from that binary, its absence is an error.
 */
export function redisServerAvailable(why: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (spawnSync('redis-server', ['--version']).status === 0) return true;
  if (env.CI) throw new Error(`${why}: no redis-server on PATH, and CI runs this spec`);
  console.warn(`${why}: skipped, no redis-server on PATH (install Redis to run it)`);
  return false;
}

/** Polls `probe` every 250 ms until it holds; fails naming `what` at the deadline. */
export async function until(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`gave up after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** `work`, or a rejection naming what it waited for after `timeoutMs`. */
async function within<T>(timeoutMs: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`gave up waiting for ${what} after ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function tail(file: string, lines = 20): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
