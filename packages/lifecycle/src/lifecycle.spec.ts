import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The built module, as services load it (turbo builds before it tests). */
const LIFECYCLE = pathToFileURL(
  path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'index.js'),
).href;

interface Child {
  messages: unknown[];
  stdout: string;
  stderr: string;
  exitCode: Promise<number | null>;
  disconnect(): void;
  kill(signal: NodeJS.Signals): void;
}

/** A process started the way the launcher starts a service: with an IPC channel. */
function startChild(body: string): Child {
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', `const lifecycle = await import('${LIFECYCLE}');\n${body}`],
    { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
  );
  const started: Child = {
    messages: [],
    stdout: '',
    stderr: '',
    exitCode: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
    disconnect: () => child.disconnect(),
    kill: (signal) => child.kill(signal),
  };
  child.on('message', (message) => started.messages.push(message));
  child.stdout?.on('data', (chunk: Buffer) => (started.stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (started.stderr += chunk.toString()));
  return started;
}

const READY_AND_WAIT = `
lifecycle.exitWithLauncher(async () => { process.stdout.write('shut down\\n'); });
lifecycle.reportReady({ service: 'order', port: 50052 });
setInterval(() => {}, 1_000);
`;

async function readyMessage(child: Child): Promise<unknown> {
  while (child.messages.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  return child.messages[0];
}

describe('the launcher protocol, from the child', () => {
  it('reports ready over IPC with its details', async () => {
    const child = startChild(READY_AND_WAIT);
    expect(await readyMessage(child)).toEqual({ type: 'ready', service: 'order', port: 50052 });
    child.kill('SIGKILL');
    await child.exitCode;
  });

  it('shuts down and exits 0 when the launcher goes away (its IPC channel closes)', async () => {
    const child = startChild(READY_AND_WAIT);
    await readyMessage(child);
    child.disconnect();
    expect(await child.exitCode).toBe(0);
    expect(child.stdout).toBe('shut down\n');
  });

  it('shuts down once and exits 0 on SIGTERM', async () => {
    const child = startChild(READY_AND_WAIT);
    await readyMessage(child);
    child.kill('SIGTERM');
    expect(await child.exitCode).toBe(0);
    expect(child.stdout).toBe('shut down\n');
  });

  it('fails a start with one line on stderr and exit code 1', async () => {
    const child = startChild(
      `lifecycle.failStart('payment', new Error('no Vault at 127.0.0.1:8200'));`,
    );
    expect(await child.exitCode).toBe(1);
    expect(child.stderr).toBe('payment: failed to start: no Vault at 127.0.0.1:8200\n');
  });
});
