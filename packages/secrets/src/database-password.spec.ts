import { VaultDatabasePassword, type StaticCredentials } from './database-password.js';

/** A Vault whose static-creds answers are scripted, and a clock the test moves. */
function fakeVault(first: Partial<StaticCredentials> = {}) {
  let answer: StaticCredentials | Error = {
    username: 'citadel_order',
    password: 'pw-1',
    ttl: 60,
    rotation_period: 60,
    last_vault_rotation: '2030-01-01T00:00:00Z',
    ...first,
  };
  let time = 0;
  const vault = {
    reads: 0,
    now: () => time,
    advance: (ms: number) => {
      time += ms;
    },
    answer: (next: Partial<StaticCredentials> | Error) => {
      answer = next instanceof Error ? next : { ...(answer as StaticCredentials), ...next };
    },
    read: async () => {
      vault.reads++;
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
  return vault;
}

const open = (vault: ReturnType<typeof fakeVault>, settleMs = 1_000) =>
  VaultDatabasePassword.open({ read: vault.read, now: vault.now, settleMs, pollMs: 5 });

describe('VaultDatabasePassword', () => {
  it('reads once at start, and fails the start when Vault cannot answer', async () => {
    const vault = fakeVault();
    const password = await open(vault);
    expect(await password.current()).toBe('pw-1');
    expect(vault.reads).toBe(1);

    const down = fakeVault();
    down.answer(new Error('403 permission denied'));
    await expect(open(down)).rejects.toThrow('permission denied');
  });

  it('holds the password until the ttl says a rotation is due, then reads it again', async () => {
    const vault = fakeVault({ ttl: 30 });
    const password = await open(vault);
    vault.advance(29_000);
    expect(await password.current()).toBe('pw-1');
    expect(vault.reads).toBe(1);

    vault.answer({ password: 'pw-2', ttl: 60 });
    vault.advance(1_000);
    const generation = password.generation;
    expect(await password.current()).toBe('pw-2');
    expect(vault.reads).toBe(2);
    expect(password.generation).toBe(generation + 1);
  });

  it('reads again at once when PostgreSQL refuses the password, with one read for many refusals', async () => {
    const vault = fakeVault({ ttl: 3_600 });
    const password = await open(vault);
    vault.answer({ password: 'pw-2' });
    const generation = password.generation;
    await Promise.all([password.refused(generation), password.refused(generation)]);
    expect(await password.current()).toBe('pw-2');
    expect(vault.reads).toBe(2);
    // A refusal of a login begun before that read does not read again.
    await password.refused(generation);
    expect(vault.reads).toBe(2);
  });

  it('after a refusal, waits for Vault to store the password it set in PostgreSQL', async () => {
    const vault = fakeVault({ ttl: 3_600 });
    const password = await open(vault);
    // Vault has changed the password in PostgreSQL but still serves the old one.
    const reads: Promise<void> = password.refused(password.generation);
    await new Promise((resolve) => setTimeout(resolve, 30));
    vault.answer({ password: 'pw-2' });
    await reads;
    expect(vault.reads).toBeGreaterThan(2);
    expect(await password.current()).toBe('pw-2');
  });

  it('gives up waiting after settleMs and keeps what Vault says', async () => {
    let time = 0;
    const vault = fakeVault({ ttl: 3_600 });
    const password = await VaultDatabasePassword.open({
      read: async () => {
        time += 100;
        return vault.read();
      },
      now: () => time,
      settleMs: 1_000,
      pollMs: 1,
    });
    await password.refused(password.generation);
    expect(await password.current()).toBe('pw-1');
    expect(vault.reads).toBeGreaterThanOrEqual(10);
    expect(vault.reads).toBeLessThan(15);
  });

  it('keeps serving the password it holds while Vault is unreachable', async () => {
    const vault = fakeVault({ ttl: 10 });
    const password = await open(vault);
    vault.answer(new Error('connect ECONNREFUSED'));
    vault.advance(10_000);
    expect(await password.current()).toBe('pw-1');
    // ...and does not ask again on every connection.
    expect(await password.current()).toBe('pw-1');
    expect(vault.reads).toBe(2);
    vault.answer({ password: 'pw-2', ttl: 10 });
    vault.advance(5_000);
    expect(await password.current()).toBe('pw-2');
  });

  it('says when it takes up a new password, and why, never the password', async () => {
    const vault = fakeVault({ ttl: 10 });
    const lines: [object, string][] = [];
    const password = await VaultDatabasePassword.open({
      read: vault.read,
      now: vault.now,
      logger: { info: (details, message) => lines.push([details, message]) },
    });
    vault.answer({ password: 'pw-2' });
    await password.refused(password.generation);
    vault.answer({ password: 'pw-3' });
    vault.advance(10_000);
    await password.current();
    expect(lines.map(([details]) => details)).toEqual([
      expect.objectContaining({
        event: 'database.password.rotated',
        reason: 'refused by PostgreSQL',
      }),
      expect.objectContaining({ event: 'database.password.rotated', reason: 'rotation due' }),
    ]);
    expect(JSON.stringify(lines)).not.toMatch(/pw-/);
  });

  it('holds a password whose rotation is due (ttl 0) for one second only', async () => {
    const vault = fakeVault({ ttl: 0 });
    const password = await open(vault);
    vault.advance(999);
    expect(await password.current()).toBe('pw-1');
    vault.answer({ password: 'pw-2', ttl: 60 });
    vault.advance(1);
    expect(await password.current()).toBe('pw-2');
  });
});
