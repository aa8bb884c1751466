#!/usr/bin/env node
// Sums the jest results every workspace wrote to .jest/results.json and prints the
// plain closing line CI reads: "N passed, N failed" (a run that executed nothing shows 0).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const workspaces = ['apps', 'packages'].flatMap((dir) =>
  fs.readdirSync(path.join(root, dir)).map((name) => path.join(root, dir, name)),
);
workspaces.push(path.join(root, 'e2e'));

let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
for (const workspace of workspaces) {
  const file = path.join(workspace, '.jest', 'results.json');
  if (!fs.existsSync(path.join(workspace, 'package.json'))) continue;
  if (!fs.existsSync(file)) {
    missing.push(path.relative(root, workspace));
    continue;
  }
  const results = JSON.parse(fs.readFileSync(file, 'utf8'));
  passed += results.numPassedTests;
  failed += results.numFailedTests + (results.numRuntimeErrorTestSuites ?? 0);
  skipped += results.numPendingTests + (results.numTodoTests ?? 0);
}
if (missing.length) console.log(`no test results from: ${missing.join(', ')}`);
if (skipped) console.log(`${skipped} skipped (see the jest output above for why)`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || missing.length > 0 ? 1 : 0);
