import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The built package, as a service imports it: the child processes below load it.
const BUILT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/index.js');

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-log-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const linesOf = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

/** Runs `body` in a service-like process whose stdout is `file`; resolves with its exit code. */
function runLogging(file: string, body: string): { exited: Promise<number | null>; kill(): void } {
  const out = fs.openSync(file, 'a');
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { createLogger } from ${JSON.stringify(BUILT)};
       const logger = createLogger('svc');
       ${body}`,
    ],
    { stdio: ['ignore', out, 'ignore'] },
  );
  fs.closeSync(out);
  return {
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
    kill: () => child.kill('SIGKILL'),
  };
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not seen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('a service log', () => {
  it('writes a service’s stdout lines while it runs', async () => {
    const file = path.join(dir, 'svc.log');
    const child = runLogging(
      file,
      `logger.info({ event: 'order.created' }, 'one line, then quiet');
       setTimeout(() => {}, 30_000);`,
    );
    try {
      const line = await waitFor(() => linesOf(file)[0], 10_000);
      expect(line).toMatchObject({
        event: 'order.created',
        service: 'svc',
        msg: 'one line, then quiet',
      });
    } finally {
      child.kill();
      await child.exited;
    }
  });

  it('loses no line when the process exits in the turn that logged it', async () => {
    const file = path.join(dir, 'svc.log');
    const child = runLogging(
      file,
      `for (let i = 0; i < 2000; i++) logger.info({ i }, 'before exit');
       process.exit(3);`,
    );
    expect(await child.exited).toBe(3);
    expect(linesOf(file).map((line) => line.i)).toEqual([...Array(2000).keys()]);
  });

  it('loses no line when the process dies of an uncaught error', async () => {
    const file = path.join(dir, 'svc.log');
    const child = runLogging(
      file,
      `for (let i = 0; i < 100; i++) logger.info({ i }, 'before the crash');
       throw new Error('boom');`,
    );
    expect(await child.exited).toBe(1);
    expect(linesOf(file)).toHaveLength(100);
  });
});
