// `npm run bench` measures Citadel against an insecure baseline (plaintext gRPC, no token
// checks). That mode must never leak into a normal run: `npm start` refuses to start while
// its variable is set, whatever the value, before it creates or starts anything.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BENCH_BASELINE_VALUE, BENCH_BASELINE_VAR, REPO_ROOT } from '@citadel/config';
import { freePort } from '@citadel/launcher';

async function runCli(
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string }> {
  const cli = spawn(process.execPath, [path.join(REPO_ROOT, 'packages/launcher/dist/cli.js')], {
    env: {
      PATH: process.env.PATH ?? '',
      GATEWAY_PORT: String(await freePort()),
      VAULT_PORT: String(await freePort()),
      ...env,
    },
  });
  let stderr = '';
  cli.stderr.on('data', (chunk) => (stderr += chunk));
  const timer = setTimeout(() => cli.kill('SIGKILL'), 15_000);
  const code = await new Promise<number | null>((resolve) => cli.once('exit', resolve));
  clearTimeout(timer);
  return { code, stderr };
}

describe('the insecure benchmark baseline is unreachable from npm start', () => {
  let home: string;
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-baseline-'));
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  it.each([BENCH_BASELINE_VALUE, '1', ''])(
    'refuses to start with %j, before creating or starting anything',
    async (value) => {
      const { code, stderr } = await runCli({ CITADEL_HOME: home, [BENCH_BASELINE_VAR]: value });
      expect(code).toBe(1);
      expect(stderr).toContain('Citadel refuses to start');
      expect(stderr).toContain(BENCH_BASELINE_VAR);
      expect(fs.readdirSync(home)).toEqual([]);
    },
  );
});
