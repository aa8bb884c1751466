import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { demoUsersFile } from '@citadel/config';
import { writePrivateFile } from '@citadel/pki';

export interface DemoUser {
  email: string;
  password: string;
  role: 'customer' | 'support_agent' | 'admin';
}

const DEMO_ACCOUNTS: Omit<DemoUser, 'password'>[] = [
  { email: 'alice@citadel.test', role: 'customer' },
  { email: 'bob@citadel.test', role: 'customer' },
  { email: 'sam@citadel.test', role: 'support_agent' },
  { email: 'ada@citadel.test', role: 'admin' },
];

/**
 * Local mode only: the demo users with random passwords, generated on first start and
 * kept in `$CITADEL_HOME/demo-users.json` (mode 0600) so they survive restarts.
 */
export function ensureDemoUsers(home: string): { file: string; users: DemoUser[] } {
  const file = demoUsersFile(home);
  if (!fs.existsSync(file)) {
    const users = DEMO_ACCOUNTS.map((account) => ({
      ...account,
      password: randomBytes(18).toString('base64url'),
    }));
    writePrivateFile(file, JSON.stringify(users, null, 2) + '\n');
  }
  return { file, users: JSON.parse(fs.readFileSync(file, 'utf8')) as DemoUser[] };
}
