// `citadel-init unseal`: the long-running vault-unseal service of docker-compose.yml.
//
// Vault starts sealed every time its process starts: `docker compose restart`, a daemon or
// host restart, a crash. vault-init unseals it only when it runs (`docker compose up`), and
// the daemon never re-runs a one-shot; so this loop watches `sys/seal-status` and, when
// Vault is sealed, sends the key share vault-init left in this service's own volume. It
// holds nothing else: not the root token, not any service's credentials.
//
// Why not auto-unseal: Vault's auto-unseal hands the key to a KMS or HSM (or another
// Vault's transit engine), none of which a single-host Compose setup has; OpenBao's static
// seal reads the key from a file Vault itself can read, which is what this does with one
// more container in between (Vault never holds its own key on disk). Either way, whoever
// can read the `vault-unseal-key` volume on this host can unseal Vault: the key is
// protected by the host (root and the docker group), not by a second party. A production
// Vault uses auto-unseal with a KMS, or Shamir shares held by people (infra/README.md).
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { layout } from './container-layout.mjs';
import { vaultApi } from './vault-api.mjs';

export const UNSEAL_KEY_FILE = path.join(layout.unsealDir, 'unseal-keys.json');
/** Written after every pass; `citadel-init unseal-check` (the health check) reads it. */
export const HEARTBEAT_FILE = path.join(process.env.TMPDIR || '/tmp', 'vault-unseal.heartbeat');

/** vault-init: keeps the key shares (base64) for the loop, mode 0600, on every run. */
export function writeUnsealKey(keys, file = UNSEAL_KEY_FILE) {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}`;
  fs.writeFileSync(temporary, JSON.stringify({ unseal_keys_b64: keys }) + '\n', { mode: 0o600 });
  fs.renameSync(temporary, file);
}

/** The key shares, or undefined while vault-init has not written them yet. */
export function readUnsealKeys(file = UNSEAL_KEY_FILE) {
  if (!fs.existsSync(file)) return undefined;
  const keys = JSON.parse(fs.readFileSync(file, 'utf8')).unseal_keys_b64;
  if (!Array.isArray(keys) || keys.length === 0) throw new Error(`${file}: no unseal_keys_b64`);
  return keys;
}

/**
 * One look at Vault, and one unseal when it is sealed. Returns what it found:
 *   active         unsealed, nothing to do
 *   unsealed       was sealed; the key share unsealed it
 *   unreachable    no answer, or a 5xx
 *   uninitialised  vault-init has not initialised it yet (its job, not ours)
 *   no-key         sealed, and vault-init has not left the key share yet
 *   refused        sealed, and Vault refused the key share (Vault was initialised anew?)
 */
export async function unsealOnce({ call, readKeys }) {
  let status;
  try {
    status = await call('GET', 'sys/seal-status');
  } catch {
    return 'unreachable';
  }
  if (status.status >= 500 || status.status === 0) return 'unreachable';
  if (status.body.initialized === false) return 'uninitialised';
  if (status.body.sealed !== true) return 'active';
  const keys = readKeys();
  if (!keys) return 'no-key';
  for (const key of keys) {
    let answer;
    try {
      answer = await call('PUT', 'sys/unseal', { key });
    } catch {
      return 'unreachable';
    }
    if (answer.status >= 500) return 'unreachable';
    if (answer.status !== 200) return 'refused';
    if (answer.body.sealed === false) return 'unsealed';
  }
  return 'refused';
}

const MESSAGES = {
  active: 'Vault is unsealed',
  unsealed: 'Vault was sealed: unsealed it',
  unreachable: 'Vault does not answer; retrying with backoff',
  uninitialised: 'Vault is not initialised yet (vault-init does that); waiting',
  'no-key': 'Vault is sealed and vault-init has not left the unseal key yet; waiting',
  refused:
    'Vault refused the unseal key: it was initialised anew, or the vault-unseal-key volume ' +
    'holds another key. Run `docker compose up -d` (vault-init), or unseal it by hand',
};
const TROUBLE = new Set(['unreachable', 'uninitialised', 'no-key', 'refused']);

/**
 * The loop: a look every `intervalMs` while all is well; after a failure, capped
 * exponential backoff with full jitter (as packages/secrets does), so a Vault that is down
 * or refuses the key is not hammered. Each change of state is logged once. Resolves when
 * `signal` aborts.
 */
export async function watchSeal({
  call,
  readKeys = () => readUnsealKeys(),
  log = (line) => process.stdout.write(`${line}\n`),
  intervalMs = 5_000,
  maxIntervalMs = 60_000,
  random = Math.random,
  heartbeat = () => {},
  signal,
}) {
  let previous;
  let failures = 0;
  while (!signal?.aborted) {
    const state = await unsealOnce({ call, readKeys });
    // Every unseal is worth a line; any other state, when it changes.
    const quietAfterUnseal = state === 'active' && previous === 'unsealed';
    if (state === 'unsealed' || (state !== previous && !quietAfterUnseal)) {
      log(`vault-unseal: ${MESSAGES[state]}`);
    }
    previous = state;
    heartbeat(state);
    failures = TROUBLE.has(state) ? failures + 1 : 0;
    const delay =
      failures === 0
        ? intervalMs
        : Math.floor(random() * Math.min(maxIntervalMs, intervalMs * 2 ** (failures - 1)));
    try {
      await sleep(Math.max(10, delay), undefined, { signal });
    } catch {
      return;
    }
  }
}

/** `citadel-init unseal`: the loop against VAULT_ADDR, until SIGTERM (`docker compose stop`). */
export async function runUnsealLoop() {
  const addr = process.env.VAULT_ADDR;
  if (!addr) throw new Error('VAULT_ADDR is not set (docker-compose.yml sets it for vault-unseal)');
  const stop = new globalThis.AbortController();
  for (const name of ['SIGTERM', 'SIGINT']) process.once(name, () => stop.abort());
  await watchSeal({
    call: (method, route, body) => vaultApi(method, route, body, { addr }),
    heartbeat: (state) =>
      fs.writeFileSync(HEARTBEAT_FILE, JSON.stringify({ at: Date.now(), state })),
    signal: stop.signal,
  });
}

/**
 * `citadel-init unseal-check`, the health check: healthy while the loop is alive (its last
 * pass is recent) and Vault is unsealed. Sealed or away shows as unhealthy in `docker ps`.
 */
export function checkUnsealLoop(maxAgeMs = 90_000) {
  let beat;
  try {
    beat = JSON.parse(fs.readFileSync(HEARTBEAT_FILE, 'utf8'));
  } catch {
    throw new Error('no pass of the unseal loop yet');
  }
  if (Date.now() - beat.at > maxAgeMs) throw new Error(`last pass ${Date.now() - beat.at} ms ago`);
  if (beat.state !== 'active' && beat.state !== 'unsealed') throw new Error(MESSAGES[beat.state]);
  process.stdout.write(`vault-unseal: ${MESSAGES[beat.state]}\n`);
}
