import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { unusedResultFile } from './result-file.js';

describe('unusedResultFile', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-bench-results-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("gives the day's first run <date>.json", () => {
    expect(unusedResultFile(dir, '2026-11-24')).toBe(path.join(dir, '2026-11-24.json'));
  });

  it('gives later runs the next free number, leaving earlier results in place', () => {
    fs.writeFileSync(path.join(dir, '2026-11-24.json'), 'full run');
    fs.writeFileSync(path.join(dir, '2026-11-24-2.json'), 'second run');
    expect(unusedResultFile(dir, '2026-11-24')).toBe(path.join(dir, '2026-11-24-3.json'));
    expect(fs.readFileSync(path.join(dir, '2026-11-24.json'), 'utf8')).toBe('full run');
  });
});
