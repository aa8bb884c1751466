import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureDemoUsers } from './demo-users.js';
import { freePort, freePorts } from './free-port.js';

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

  it('stays below the OS ephemeral range, where outgoing connections take their ports', async () => {
    const ports = Object.values(await freePorts(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']));
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) expect(port).toBeLessThan(32_768);
  });

  it('passes over a port something already listens on', async () => {
    const net = await import('node:net');
    const size = 32_767 - 20_000 + 1;
    // A port in the range that this process never handed out, held open here.
    const blocker = net.createServer();
    let blocked = 0;
    for (let port = 32_767; !blocked; port--) {
      blocked = await new Promise<number>((resolve) => {
        blocker.once('error', () => resolve(0));
        blocker.listen(port, '127.0.0.1', () => resolve(port));
      });
    }
    // The first draw lands on the blocked port, the later ones elsewhere in the range.
    const draws = [(blocked - 20_000 + 0.5) / size, 0.1, 0.2, 0.3, 0.4];
    const random = Math.random;
    Math.random = () => draws.shift() ?? random();
    try {
      const port = await freePort();
      expect(port).not.toBe(blocked);
      expect(draws.length).toBeLessThan(4);
    } finally {
      Math.random = random;
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
