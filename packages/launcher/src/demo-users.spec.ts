import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureDemoUsers } from './demo-users.js';
import { freePort } from './free-port.js';

describe('demo users', () => {
  let home: string;
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-demo-'));
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  it('seeds the four demo accounts with random passwords in a private file', () => {
    const { file, users } = ensureDemoUsers(home);
    expect(users.map((user) => [user.email, user.role])).toEqual([
      ['alice@citadel.test', 'customer'],
      ['bob@citadel.test', 'customer'],
      ['sam@citadel.test', 'support_agent'],
      ['ada@citadel.test', 'admin'],
    ]);
    expect(new Set(users.map((user) => user.password)).size).toBe(4);
    for (const user of users) expect(user.password.length).toBeGreaterThanOrEqual(24);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('keeps the same passwords across restarts', () => {
    const first = ensureDemoUsers(home).users;
    expect(ensureDemoUsers(home).users).toEqual(first);
  });

  it('gives two homes different passwords', () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-demo-'));
    try {
      const passwords = (dir: string) => ensureDemoUsers(dir).users.map((user) => user.password);
      const shared = passwords(other).filter((password) => passwords(home).includes(password));
      expect(shared).toEqual([]);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });
});

describe('freePort', () => {
  it('hands out a port nothing listens on', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(1024);
    const net = await import('node:net');
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });
});
