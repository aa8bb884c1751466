// Nothing secret is committed: no private key, no Vault token or AppRole secret, no
// access token, no local state. Scans every file git tracks (and every file it would
// track: untracked but not ignored), as a clone would hold it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@citadel/config';

/** What a leaked secret looks like. Each entry is a name and a pattern. */
const SECRET_PATTERNS: [string, RegExp][] = [
  ['a PEM private key', /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/],
  ['a Vault token', /\bhv[sbr]\.[A-Za-z0-9_-]{24,}/],
  ['a Citadel access token', /\bcit_at_[A-Za-z0-9_-]{43}\b/],
  ['a private JWK', /"d"\s*:\s*"[A-Za-z0-9_-]{40,}"/],
  ['an AWS access key', /\bAKIA[0-9A-Z]{16}\b/],
  [
    'a Vault credential in a literal',
    /\b(?:secret_id|client_token|root_token)\s*[:=]\s*["'][0-9a-f-]{30,}["']/i,
  ],
];

const NOT_SOURCE = new Set(['.git', 'node_modules', 'dist', '.citadel', '.jest', '.turbo']);

/** The files git tracks or would track; without git (an unpacked archive), the source tree. */
function repositoryFiles(): string[] {
  if (!fs.existsSync(path.join(REPO_ROOT, '.git'))) {
    return (fs.readdirSync(REPO_ROOT, { recursive: true, withFileTypes: true }) as fs.Dirent[])
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(REPO_ROOT, path.join(entry.parentPath, entry.name)))
      .filter((file) => !file.split(path.sep).some((part) => NOT_SOURCE.has(part)));
  }
  const output = execFileSync(
    'git',
    ['ls-files', '--cached', '--others', '--exclude-standard', '-z'],
    { cwd: REPO_ROOT, encoding: 'utf8' },
  );
  return output
    .split('\0')
    .filter(Boolean)
    .filter((file) => fs.existsSync(path.join(REPO_ROOT, file)));
}

function findSecrets(files: string[], root = REPO_ROOT): string[] {
  const findings: string[] = [];
  for (const file of files) {
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    for (const [name, pattern] of SECRET_PATTERNS) {
      if (pattern.test(text)) findings.push(`${file}: ${name}`);
    }
  }
  return findings;
}

describe('no secret is committed', () => {
  it('the scanner catches each kind of leak (so a clean result means something)', () => {
    const dir = fs.mkdtempSync(path.join(REPO_ROOT, '.scan-probe-'));
    try {
      // Built at run time, so this file itself holds no sample.
      const samples = [
        `-----BEGIN ${'EC '}PRIVATE KEY-----\nMHcCAQEE\n`,
        `token = "${'hvs'}.${'A'.repeat(30)}"`,
        `Authorization: Bearer ${'cit_at'}_${'x'.repeat(43)}`,
        `{"kty":"EC","${'d'}":"${'q'.repeat(43)}"}`,
        `key=${'AKIA'}${'Z'.repeat(16)}`,
        `secret_id = "${'0a1b2c3d-'.repeat(4)}"`,
      ];
      samples.forEach((sample, index) => fs.writeFileSync(path.join(dir, `s${index}`), sample));
      const files = samples.map((_, index) => path.join(path.basename(dir), `s${index}`));
      expect(findSecrets(files)).toHaveLength(SECRET_PATTERNS.length);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('no tracked or trackable file holds a secret', () => {
    const files = repositoryFiles();
    expect(files.length).toBeGreaterThan(100);
    expect(findSecrets(files)).toEqual([]);
  });

  it('local state is ignored by git', () => {
    const ignored = (file: string) => {
      if (!fs.existsSync(path.join(REPO_ROOT, '.git'))) {
        const rules = fs.readFileSync(path.join(REPO_ROOT, '.gitignore'), 'utf8').split('\n');
        return rules.some(
          (rule) => rule && file.startsWith(rule.replace(/^\//, '').replace(/\/$/, '')),
        );
      }
      try {
        execFileSync('git', ['check-ignore', '-q', file], { cwd: REPO_ROOT });
        return true;
      } catch {
        return false;
      }
    };
    for (const file of [
      '.citadel/pki/ca-key.pem',
      '.citadel/vault/root-token',
      '.citadel/vault/order/secret_id',
      '.citadel/demo-users.json',
      '.env',
    ])
      expect([file, ignored(file)]).toEqual([file, true]);
  });
});
