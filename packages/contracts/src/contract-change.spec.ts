// The proof that the contracts are the build's, not a comment's: in a scratch copy of this
// package, a field of payment.proto renamed, then generated as `npm run build` does, makes
// the type check of a real consumer (order's payment adapter, unchanged) fail naming the
// field, and buf breaking refuse the change; the unchanged copy passes both.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CONTRACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REPO = path.resolve(CONTRACTS, '../..');
const BIN = path.join(REPO, 'node_modules/.bin');
/** Order's adapter to payment: it sends `{ payment_id, reason }` as a RefundRequest. */
const CONSUMER = path.join(REPO, 'apps/order/src/orders/grpc-payments.adapter.ts');

interface Outcome {
  ok: boolean;
  output: string;
}

async function outcome(file: string, args: string[], cwd: string): Promise<Outcome> {
  const env = { ...process.env, PATH: `${BIN}${path.delimiter}${process.env.PATH}` };
  try {
    const { stdout, stderr } = await run(file, args, { cwd, env, maxBuffer: 16 << 20 });
    return { ok: true, output: stdout + stderr };
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    return { ok: false, output: stdout + stderr };
  }
}

/**
 * A copy of this package (protos, generator, sources) in a scratch directory, `edit` applied
 * to payment.proto, generated; then tsc on the consumer with `@citadel/contracts` resolved
 * to the copy (the other workspace packages stay the built ones, whose types import it).
 */
async function buildWith(edit: (proto: string) => string) {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-contracts-'));
  const copy = path.join(scratch, 'contracts');
  for (const entry of ['proto', 'scripts', 'buf.gen.yaml', 'buf.yaml', 'package.json']) {
    fs.cpSync(path.join(CONTRACTS, entry), path.join(copy, entry), { recursive: true });
  }
  fs.cpSync(path.join(CONTRACTS, 'src'), path.join(copy, 'src'), {
    recursive: true,
    filter: (source) => !source.includes(`${path.sep}generated`) && !source.endsWith('.spec.ts'),
  });
  // Modules the copy imports (rxjs, grpc-js, @citadel/config) resolve from the repository's.
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(scratch, 'node_modules'), 'dir');
  const proto = path.join(copy, 'proto/citadel/payment/v1/payment.proto');
  fs.writeFileSync(proto, edit(fs.readFileSync(proto, 'utf8')));

  const generate = await outcome(process.execPath, ['scripts/generate.mjs'], copy);
  if (!generate.ok) throw new Error(`generation failed:\n${generate.output}`);
  fs.writeFileSync(
    path.join(scratch, 'tsconfig.json'),
    JSON.stringify({
      extends: path.join(REPO, 'packages/tsconfig/base.json'),
      compilerOptions: {
        noEmit: true,
        paths: { '@citadel/contracts': [path.join(copy, 'src/index.ts')] },
      },
      files: [CONSUMER],
    }),
  );
  const [typecheck, breaking] = await Promise.all([
    outcome(path.join(BIN, 'tsc'), ['-p', path.join(scratch, 'tsconfig.json')], scratch),
    outcome(
      path.join(BIN, 'buf'),
      ['breaking', 'proto', '--against', path.join(CONTRACTS, 'proto')],
      copy,
    ),
  ]);
  fs.rmSync(scratch, { recursive: true, force: true });
  return { typecheck, breaking };
}

/** payment.proto with RefundRequest.payment_id renamed to payment_ref (same number, same wire). */
function renamed(proto: string): string {
  const edited = proto.replace(
    /(message RefundRequest \{\s*string )payment_id( = 1;)/,
    '$1payment_ref$2',
  );
  if (edited === proto) throw new Error('payment.proto has no RefundRequest.payment_id');
  return edited;
}

describe('a contract change reaches the build', () => {
  let unchanged: Awaited<ReturnType<typeof buildWith>>;
  let changed: Awaited<ReturnType<typeof buildWith>>;

  // Both copies at once: each is mostly waiting on buf and tsc.
  beforeAll(async () => {
    [unchanged, changed] = await Promise.all([buildWith((proto) => proto), buildWith(renamed)]);
  }, 90_000);

  it('the unchanged contract: the consumer type-checks and buf breaking passes', () => {
    expect(unchanged.typecheck).toEqual({ ok: true, output: '' });
    expect(unchanged.breaking).toEqual({ ok: true, output: '' });
  });

  it('RefundRequest.payment_id renamed: the consumer fails to build, naming the field', () => {
    expect(changed.typecheck.ok).toBe(false);
    expect(changed.typecheck.output).toContain('grpc-payments.adapter.ts');
    expect(changed.typecheck.output).toMatch(/'payment_id' does not exist in type/);
    expect(changed.breaking.ok).toBe(false);
    expect(changed.breaking.output).toMatch(/payment_id/);
  });
});
