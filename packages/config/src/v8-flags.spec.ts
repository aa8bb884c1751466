import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BUILT_MODULE = fileURLToPath(new URL('../dist/v8-flags.js', import.meta.url));

/**
 * One object literal whose objects all outlive several young-generation GCs, as a
 * per-request object can during a slow warm-up. After each batch, one more object from
 * the same literal: prints whether V8 ever allocated it in the old generation. V8 decides
 * only after a few GCs, and when depends on the heap's sizing, so it gets 20 batches.
 */
const WORKLOAD = `
  const make = (i) => ({ i, items: [i] });
  const kept = [];
  let pretenured = false;
  for (let batch = 0; batch < 20 && !pretenured; batch++) {
    for (let i = 0; i < 500_000; i++) {
      kept.push(make(i));
      if (kept.length > 200_000) kept.length = 0;
    }
    pretenured = !%InYoungGeneration(make(-1));
  }
  console.log(pretenured ? 'old' : 'young');
`;

/** Runs `workload` in a fresh Node with `flags`, `preload` imported first if given: its stdout. */
function runFresh(workload: string, flags: string[], preload?: string): string {
  return execFileSync(
    process.execPath,
    [...flags, ...(preload ? ['--import', preload] : []), '-e', workload],
    { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, maxBuffer: 64 << 20 },
  );
}

/**
 * Runs the pretenuring workload. Page promotion (survivors moved a whole page at a time) is
 * off in both runs: it skips the per-object feedback pretenuring learns from, and made the
 * control run's outcome vary.
 */
function alwaysBornYoung(preload?: string): boolean {
  const out = runFresh(WORKLOAD, ['--allow-natives-syntax', '--no-page-promotion'], preload);
  return out.trim() === 'young';
}

describe('the V8 flags every service starts with', () => {
  it('this V8 pretenures a literal whose objects survive young GCs (what the flag is for)', () => {
    // V8's decision is a heuristic: about one run in fifty here never takes it.
    let pretenured = false;
    for (let attempt = 1; attempt <= 3 && !pretenured; attempt++) {
      pretenured = !alwaysBornYoung();
    }
    expect(pretenured).toBe(true);
  }, 60_000);

  it('with the module imported first, objects from that literal are always born young', () => {
    expect(alwaysBornYoung(BUILT_MODULE)).toBe(true);
  }, 30_000);
});

/**
 * A service's life in miniature: bursts of `nextTick`s (requests), each followed by a quiet
 * moment with full GCs and no tick record alive. Then V8's feedback for the literal that
 * builds each record: the state of its four property definitions, in order.
 */
const TICK_WORKLOAD = `
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

function tickLiteralFeedback(preload?: string): string[] {
  const out = runFresh(TICK_WORKLOAD, ['--allow-natives-syntax', '--expose-gc'], preload);
  return [...out.matchAll(/DefineKeyedOwnPropertyInLiteral (\w+)/g)].map((match) => match[1]!);
}

describe("the shape of process.nextTick's records (tick-shape.ts)", () => {
  it('without the pin, quiet full GCs leave this Node building each record the slow way', () => {
    // If this fails, this Node builds its tick records another way: the pin can go.
    expect(tickLiteralFeedback()).toContain('MEGAMORPHIC');
  }, 30_000);

  it('with the module imported first, every record is built on the fast path', () => {
    expect(tickLiteralFeedback(BUILT_MODULE)).toEqual([
      'MONOMORPHIC',
      'MONOMORPHIC',
      'MONOMORPHIC',
      'MONOMORPHIC',
    ]);
  }, 30_000);
});
