import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BUILT_FLAGS_MODULE = fileURLToPath(new URL('../dist/v8-flags.js', import.meta.url));

/**
 * A service's life in miniature: bursts of `nextTick`s (requests), each followed by a quiet
 * moment with full GCs and no tick record alive. Then V8's feedback for the literal that
 * builds each record: the state of its four property definitions, in order.
 */
const WORKLOAD = `
  const noop = () => {};
  (async () => {
    for (let burst = 0; burst < 12; burst++) {
      for (let i = 0; i < 2000; i++) process.nextTick(noop);
      await new Promise((resolve) => setTimeout(resolve, 5));
      gc();
      gc();
    }
    %DebugPrint(process.nextTick);
  })();
`;

function literalFeedback(preload?: string): string[] {
  const out = execFileSync(
    process.execPath,
    [
      '--allow-natives-syntax',
      '--expose-gc',
      ...(preload ? ['--import', preload] : []),
      '-e',
      WORKLOAD,
    ],
    { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, maxBuffer: 64 << 20 },
  );
  return [...out.matchAll(/DefineKeyedOwnPropertyInLiteral (\w+)/g)].map((match) => match[1]!);
}

describe("the shape of process.nextTick's records", () => {
  it('without the pin, quiet full GCs leave this Node building each record the slow way', () => {
    // If this fails, this Node builds its tick records another way: the pin can go.
    expect(literalFeedback()).toContain('MEGAMORPHIC');
  }, 30_000);

  it('with the services’ first import, every record is built on the fast path', () => {
    expect(literalFeedback(BUILT_FLAGS_MODULE)).toEqual([
      'MONOMORPHIC',
      'MONOMORPHIC',
      'MONOMORPHIC',
      'MONOMORPHIC',
    ]);
  }, 30_000);
});
