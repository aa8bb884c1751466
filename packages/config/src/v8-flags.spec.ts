import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BUILT_MODULE = fileURLToPath(new URL('../dist/v8-flags.js', import.meta.url));

/**
 * One object literal whose objects all outlive several young-generation GCs, as a
 * per-request object can during a slow warm-up; then one more object from the same
 * literal. Prints whether V8 allocated that last object in the young generation.
 */
const WORKLOAD = `
  const make = (i) => ({ i, items: [i] });
  const kept = [];
  for (let i = 0; i < 2_000_000; i++) {
    kept.push(make(i));
    if (kept.length > 200_000) kept.length = 0;
  }
  const fresh = make(-1);
  console.log(%InYoungGeneration(fresh));
`;

function bornYoung(preload: string[]): boolean {
  const out = execFileSync(
    process.execPath,
    ['--allow-natives-syntax', ...preload.flatMap((file) => ['--import', file]), '-e', WORKLOAD],
    { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } },
  );
  return out.trim() === 'true';
}

describe('the V8 flags every service starts with', () => {
  it('this V8 pretenures a literal whose objects survive young GCs (what the flag is for)', () => {
    expect(bornYoung([])).toBe(false);
  });

  it('with the module imported first, objects from that literal are still born young', () => {
    expect(bornYoung([BUILT_MODULE])).toBe(true);
  });
});
