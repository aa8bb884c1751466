import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { DEFAULT_PORTS, pkiPaths, REPO_ROOT, SERVICES, type ServiceName } from '@citadel/config';
import { ensureDevPki } from '@citadel/pki';
import { ensureDemoUsers, type DemoUser } from './demo-users.js';

export interface SystemOptions {
  home: string;
  ports?: Partial<Record<ServiceName, number>>;
  /** Extra environment for every service (e.g. LOG_LEVEL). */
  env?: Record<string, string>;
  readyTimeoutMs?: number;
  /** Called when a service exits on its own after the system is up. */
  onUnexpectedExit?: (service: ServiceName, code: number | null) => void;
}

export interface RunningSystem {
  home: string;
  ports: Record<ServiceName, number>;
  gatewayUrl: string;
  caFile: string;
  demoUsersFile: string;
  demoUsers: DemoUser[];
  logFile(service: ServiceName): string;
  /** Stops one service (for tests that restart a piece of the system). */
  stopService(service: ServiceName): Promise<void>;
  startService(service: ServiceName): Promise<void>;
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 5_000;

/**
 * Boots Citadel's four services as separate processes: dev PKI and demo users first,
 * then auth, then payment, order and the gateway; waits on each one's readiness report
 * and on the gateway's `/readyz` (every downstream answering over mTLS). Never sleeps.
 */
export async function bootSystem(options: SystemOptions): Promise<RunningSystem> {
  const home = path.resolve(options.home);
  for (const dir of ['logs', 'data'])
    fs.mkdirSync(path.join(home, dir), { recursive: true, mode: 0o700 });
  await ensureDevPki(home, SERVICES);
  const demo = ensureDemoUsers(home);
  const ports = { ...DEFAULT_PORTS, ...options.ports };
  const timeoutMs = options.readyTimeoutMs ?? 30_000;
  const children = new Map<ServiceName, ChildProcess>();
  let stopping = false;

  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NODE_ENV: process.env.NODE_ENV ?? 'development',
    CITADEL_HOME: home,
    HOST: '127.0.0.1',
    GATEWAY_PORT: String(ports.gateway),
    AUTH_PORT: String(ports.auth),
    ORDER_PORT: String(ports.order),
    PAYMENT_PORT: String(ports.payment),
    CITADEL_DEMO_USERS: demo.file,
    ...options.env,
  };
  const logFile = (service: ServiceName) => path.join(home, 'logs', `${service}.log`);

  const start = (service: ServiceName): Promise<void> =>
    new Promise((resolve, reject) => {
      const log = fs.openSync(logFile(service), 'a', 0o600);
      const child = spawn(
        process.execPath,
        [path.join(REPO_ROOT, 'apps', service, 'dist', 'main.js')],
        {
          env,
          stdio: ['ignore', log, log, 'ipc'],
        },
      );
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

  const stopService = async (service: ServiceName) => {
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
    await Promise.all([...children.keys()].map(stopService));
  };

  const caFile = pkiPaths(home).caCert;
  const gatewayUrl = `https://127.0.0.1:${ports.gateway}`;
  try {
    await start('auth');
    await Promise.all([start('payment'), start('order'), start('gateway')]);
    await waitForReady(`${gatewayUrl}/readyz`, fs.readFileSync(caFile), timeoutMs);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    home,
    ports,
    gatewayUrl,
    caFile,
    demoUsersFile: demo.file,
    demoUsers: demo.users,
    logFile,
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
