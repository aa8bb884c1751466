import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureRootToken } from './root-token.js';

describe('ensureRootToken', () => {
  let home: string;
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-vault-root-'));
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  it('makes a random token once, private to its owner, and reads it back after', () => {
    const file = path.join(home, 'vault', 'root-token');
    const token = ensureRootToken(file);
    expect(token).toMatch(/^hvs\.[A-Za-z0-9_-]{43}$/);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(ensureRootToken(file)).toBe(token);
    const other = path.join(home, 'other', 'root-token');
    expect(ensureRootToken(other)).not.toBe(token);
  });

  it('refuses an empty or truncated token file', () => {
    const file = path.join(home, 'root-token');
    fs.writeFileSync(file, 'short\n', { mode: 0o600 });
    expect(() => ensureRootToken(file)).toThrow(/does not hold a root token/);
  });
});
