#!/usr/bin/env node
// Sums the jest results every workspace wrote to .jest/results.json and prints the
// plain closing line CI reads: "N passed, N failed" (a run that executed nothing shows 0).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Every workspace the root package.json declares (a trailing /* means each folder in it).
const { workspaces: declared } = JSON.parse(
  fs.readFileSync(path.join(root, 'package.json'), 'utf8'),
);
const workspaces = declared.flatMap((entry) =>
  entry.endsWith('/*')
    ? fs
        .readdirSync(path.join(root, entry.slice(0, -2)))
        .map((name) => path.join(root, entry.slice(0, -2), name))
    : [path.join(root, entry)],
);

// `--keep-as DIR`: also copy each workspace's results to DIR/results.json (a second run,
// say on another Node, then overwrites .jest). `--also DIR`: add the results kept there.
const option = (name) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const keepAs = option('--keep-as');
const also = option('--also');

let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
const add = (file) => {
  const results = JSON.parse(fs.readFileSync(file, 'utf8'));
  passed += results.numPassedTests;
  failed += results.numFailedTests + (results.numRuntimeErrorTestSuites ?? 0);
  skipped += results.numPendingTests + (results.numTodoTests ?? 0);
};
for (const workspace of workspaces) {
  const file = path.join(workspace, '.jest', 'results.json');
  if (!fs.existsSync(path.join(workspace, 'package.json'))) continue;
  // Configuration packages (tsconfig, jest-config, eslint-config) have no tests to run.
  const { scripts } = JSON.parse(fs.readFileSync(path.join(workspace, 'package.json'), 'utf8'));
  if (!scripts?.test) continue;
  if (also && fs.existsSync(path.join(workspace, also, 'results.json'))) {
    add(path.join(workspace, also, 'results.json'));
  }
  if (!fs.existsSync(file)) {
    missing.push(path.relative(root, workspace));
    continue;
  }
  add(file);
  if (keepAs) {
    fs.mkdirSync(path.join(workspace, keepAs), { recursive: true });
    fs.copyFileSync(file, path.join(workspace, keepAs, 'results.json'));
  }
}
if (missing.length) console.log(`no test results from: ${missing.join(', ')}`);
if (skipped) console.log(`${skipped} skipped (see the jest output above for why)`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || missing.length > 0 ? 1 : 0);
