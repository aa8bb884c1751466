import fs from 'node:fs';
import path from 'node:path';
import { newToken } from './tokens.js';

/**
 * The local root token: generated once, then read back on every start, so tools and the
 * bootstrap keep working across restarts. Only the owner may read it (0600 in a 0700 folder).
 */
export function ensureRootToken(file: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    // 'wx' fails if the file exists, so two starting processes cannot overwrite each other.
    fs.writeFileSync(file, `${newToken()}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const token = fs.readFileSync(file, 'utf8').trim();
  if (!/^\S{16,}$/.test(token)) {
    throw new Error(`${file} does not hold a root token; delete it to have a new one made`);
  }
  return token;
}
