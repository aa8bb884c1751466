// `npm run breaking`: buf breaking of proto/ against the same directory on the main branch
// (local `main`, else `origin/main`, as a CI clone of another branch has it). Outside a git
// clone, or in one with no main yet (a scratch copy, a fresh repository), there is nothing
// to compare with: it says so and passes.
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const git = (...args) =>
  execFileSync('git', args, {
    cwd: pkg,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  }).trim();
const attempt = (fn) => {
  try {
    return fn();
  } catch {
    return undefined;
  }
};

const gitDir = attempt(() => path.resolve(pkg, git('rev-parse', '--git-common-dir')));
const top = attempt(() => git('rev-parse', '--show-toplevel'));
const ref = ['main', 'origin/main'].find((name) =>
  attempt(() => git('rev-parse', '--verify', '--quiet', `${name}^{commit}`)),
);
if (!gitDir || !top || !ref) {
  console.log('buf breaking: skipped, no git history with a main branch to compare with');
  process.exit(0);
}
const subdir = path.relative(top, path.join(pkg, 'proto')).split(path.sep).join('/');
const against = `${gitDir}#ref=${ref},subdir=${subdir}`;
console.log(`buf breaking proto --against ${against}`);
const run = spawnSync('buf', ['breaking', 'proto', '--against', against], {
  cwd: pkg,
  stdio: 'inherit',
});
process.exit(run.status ?? 1);
