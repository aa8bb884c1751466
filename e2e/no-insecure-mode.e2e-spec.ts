// Nothing that weakens security may be switchable in the shipped services. The benchmark's
// insecure baseline used to be such a switch (an environment variable read by the
// services); the baseline now lives in bench/, which no image ships. This scans every
// file of apps/ and packages/ (sources, tests, READMEs, manifests) so that neither the
// switch's name nor a plaintext gRPC credential comes back into the product. What a
// service does with the old variable set is proven on the running system by
// insecure-baseline.e2e-spec.ts.
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@citadel/config';

/** Build output, dependencies and caches: not the product's source. */
const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.jest', '.turbo', 'coverage']);
const SCANNED = /\.(?:[cm]?[jt]s|json|md|ya?ml|proto)$/;

function productFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return SKIPPED_DIRS.has(entry.name) ? [] : productFiles(full);
    return SCANNED.test(entry.name) ? [full] : [];
  });
}

/** Written split, so that this file itself does not hold what it looks for. */
const FORBIDDEN: [what: string, pattern: RegExp][] = [
  ['the insecure benchmark switch', new RegExp(['INSECURE', 'BENCH'].join('_'))],
  // Services are always mTLS: plaintext credentials exist only in tests that attack them.
  ['plaintext gRPC credentials', new RegExp(['create', 'Insecure'].join(''))],
];

/** A test may build plaintext credentials to prove they are refused; the code may not. */
const isTest = (file: string) => /\.spec\.[cm]?[jt]s$/.test(file);

describe('no insecure mode in the product (apps/ and packages/)', () => {
  const files = ['apps', 'packages'].flatMap((dir) => productFiles(path.join(REPO_ROOT, dir)));

  it('scans the product (a scan of nothing proves nothing)', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(files).toContainEqual(
      path.join(REPO_ROOT, 'packages', 'transport', 'src', 'grpc-server.ts'),
    );
  });

  it.each(FORBIDDEN)('%s: found nowhere', (what, pattern) => {
    const found = files
      .filter((file) => !(what === 'plaintext gRPC credentials' && isTest(file)))
      .filter((file) => pattern.test(fs.readFileSync(file, 'utf8')))
      .map((file) => path.relative(REPO_ROOT, file));
    expect(found).toEqual([]);
  });
});
