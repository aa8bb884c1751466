// `npm start` stops every service on Ctrl-C, and a launcher that dies (kill -9) takes
// its services with it: no run leaves processes behind.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '@citadel/config';
import { freePort } from '@citadel/launcher';

const PROCESSES = ['vault', 'auth', 'order', 'payment', 'gateway'];

async function startCli(home: string): Promise<{ cli: ChildProcess; output: () => string }> {
  const env = {
    PATH: process.env.PATH,
    CITADEL_HOME: home,
    GATEWAY_PORT: String(await freePort()),
    AUTH_PORT: String(await freePort()),
    ORDER_PORT: String(await freePort()),
    PAYMENT_PORT: String(await freePort()),
    VAULT_PORT: String(await freePort()),
  };
  const cli = spawn(process.execPath, [path.join(REPO_ROOT, 'packages/launcher/dist/cli.js')], {
    env,
  });
  let output = '';
  cli.stdout!.on('data', (chunk) => (output += chunk));
  cli.stderr!.on('data', (chunk) => (output += chunk));
  await new Promise<void>((resolve, reject) => {
    // The launcher's own readiness deadline (120 s) ends it first on a hung boot.
    const timer = setTimeout(() => reject(new Error(`no banner in 150 s:\n${output}`)), 150_000);
    cli.stdout!.on('data', () => {
      if (output.includes('Ctrl-C stops everything')) {
        clearTimeout(timer);
        resolve();
      }
    });
    cli.once('exit', () => reject(new Error(`launcher exited:\n${output}`)));
  });
  return { cli, output: () => output };
}

function servicePids(home: string): number[] {
  return PROCESSES.map((service) => {
    const lines = fs.readFileSync(path.join(home, 'logs', `${service}.log`), 'utf8').split('\n');
    const started = lines
      .map((line) => (line.startsWith('{') ? JSON.parse(line) : {}))
      .filter((entry) => entry.event === 'service.started');
    return started.at(-1).pid as number;
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function waitUntilGone(pids: number[], timeoutMs = 30_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(alive) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
  return pids.filter(alive);
}

describe('launcher lifecycle', () => {
  let home: string;
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-launch-'));
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  it('prints the banner, and Ctrl-C stops every service cleanly', async () => {
    const { cli, output } = await startCli(home);
    expect(output()).toMatch(/Gateway\s+https:\/\/127\.0\.0\.1:\d+/);
    expect(output()).toContain(path.join(home, 'pki', 'ca.pem'));
    expect(output()).toContain(path.join(home, 'demo-users.json'));
    const pids = servicePids(home);
    expect(pids.every(alive)).toBe(true);
    const exited = new Promise<number | null>((resolve) => cli.once('exit', resolve));
    cli.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(await waitUntilGone(pids)).toEqual([]);
  });

  it('a launcher killed with SIGKILL leaves no service behind', async () => {
    const { cli } = await startCli(home);
    const pids = servicePids(home);
    cli.kill('SIGKILL');
    expect(await waitUntilGone(pids)).toEqual([]);
  });

  it("creates the gateway's HTTPS certificate and the demo users file with private modes, and no service key on disk", async () => {
    const { cli } = await startCli(home);
    const exited = new Promise((resolve) => cli.once('exit', resolve));
    cli.kill('SIGINT');
    await exited;
    for (const file of ['pki/ca-key.pem', 'pki/gateway-key.pem', 'demo-users.json']) {
      expect(fs.statSync(path.join(home, file)).mode & 0o777).toBe(0o600);
    }
    expect(fs.existsSync(path.join(home, 'pki', 'gateway.pem'))).toBe(true);
    // Services' mTLS keys live in their memory only: Vault's PKI engine issues them.
    for (const service of PROCESSES.filter((name) => name !== 'vault' && name !== 'gateway'))
      expect(fs.existsSync(path.join(home, 'pki', `${service}-key.pem`))).toBe(false);
    for (const dir of ['data', 'logs', 'pki'])
      expect(fs.statSync(path.join(home, dir)).mode & 0o777).toBe(0o700);
  });
});
