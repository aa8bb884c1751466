import type { PostgresPool, PostgresPoolClient } from 'kysely';
import { RotatingPasswordPool, type RotatingPassword } from './rotating-password.js';

const client = { release: () => undefined } as unknown as PostgresPoolClient;
const refusedLogin = Object.assign(new Error('password authentication failed for user "x"'), {
  code: '28P01',
});

function fakePool(outcomes: unknown[]): PostgresPool & { attempts: number } {
  const pool = {
    attempts: 0,
    options: { max: 10 },
    async connect() {
      const outcome = outcomes[pool.attempts++];
      if (outcome instanceof Error) throw outcome;
      return client;
    },
    end: async () => undefined,
  };
  return pool;
}

function fakePassword(): RotatingPassword & { refusals: number[] } {
  return {
    generation: 3,
    refusals: [],
    current: async () => 'p',
    async refused(generation) {
      this.refusals.push(generation);
    },
  };
}

describe('RotatingPasswordPool', () => {
  it('opens a connection refused for its password (28P01) once more, after the password is read anew', async () => {
    const pool = fakePool([refusedLogin, client]);
    const password = fakePassword();
    await expect(new RotatingPasswordPool(pool, password).connect()).resolves.toBe(client);
    expect(pool.attempts).toBe(2);
    // The refusal names the password generation the attempt began with.
    expect(password.refusals).toEqual([3]);
  });

  it('retries only once: a second refusal reaches the caller', async () => {
    const pool = fakePool([refusedLogin, refusedLogin, client]);
    await expect(new RotatingPasswordPool(pool, fakePassword()).connect()).rejects.toBe(
      refusedLogin,
    );
    expect(pool.attempts).toBe(2);
  });

  it('passes any other failure through at once', async () => {
    const down = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const pool = fakePool([down, client]);
    const password = fakePassword();
    await expect(new RotatingPasswordPool(pool, password).connect()).rejects.toBe(down);
    expect([pool.attempts, password.refusals]).toEqual([1, []]);
  });

  it('shows Kysely the pool’s own options', () => {
    expect(new RotatingPasswordPool(fakePool([]), fakePassword()).options).toEqual({ max: 10 });
  });
});
