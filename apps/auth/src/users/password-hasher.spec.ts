import { PasswordChecksBusy, PasswordHasher } from './password-hasher.js';

describe('PasswordHasher', () => {
  let stored: string;
  beforeAll(async () => {
    stored = await new PasswordHasher().hash('s3cret');
  });

  it('verifies the right password only, and an unknown user never', async () => {
    const hasher = new PasswordHasher();
    expect(await hasher.verify(stored, 's3cret')).toBe(true);
    expect(await hasher.verify(stored, 'wrong')).toBe(false);
    expect(await hasher.verify(undefined, 's3cret')).toBe(false);
  });

  it('runs a bounded number of checks, queues a bounded number, and turns the rest away', async () => {
    const hasher = new PasswordHasher({ running: 2, waiting: 3 });
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, () =>
        hasher.verify(stored, 'wrong').then(
          () => 'checked',
          (error: unknown) => (error instanceof PasswordChecksBusy ? 'busy' : 'error'),
        ),
      ),
    );
    expect(outcomes.filter((outcome) => outcome === 'checked')).toHaveLength(5);
    expect(outcomes.filter((outcome) => outcome === 'busy')).toHaveLength(7);
    // Once the queue drains, checks run again.
    expect(await hasher.verify(stored, 's3cret')).toBe(true);
  });
});
