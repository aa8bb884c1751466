import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** A private key found on disk that must not be there. */
export interface StrayPrivateKey {
  file: string;
  /**
   * `ca`: the key of a CA certificate (basicConstraints CA:TRUE) found beside it or given.
   * `orphan`: the key of no certificate found at all, so possibly a CA's kept elsewhere.
   */
  kind: 'ca' | 'orphan';
}

const PEM_BLOCK = /-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----/g;

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

const spki = (key: KeyObject) => key.export({ type: 'spki', format: 'der' }).toString('base64');

/**
 * Every private key (PEM) under `dirs` that belongs to a CA certificate, or to no
 * certificate at all. Certificates are looked for under `dirs` and in `caCertificates`
 * (PEM bundles, e.g. the CA file every container trusts). A key whose certificate is a leaf
 * (a server's, CA:FALSE) is where it should be and is not reported. Whoever holds a CA's key
 * can mint any identity the CA vouches for: after the compose init steps, no directory a
 * service mounts may hold one (infra/deploy, e2e/compose-rehearsal).
 */
export function strayPrivateKeys(
  dirs: readonly string[],
  caCertificates: readonly string[] = [],
): StrayPrivateKey[] {
  const files = dirs.flatMap(filesUnder);
  const blocks = (text: string) => [...text.matchAll(PEM_BLOCK)];
  const certificateOwners = new Map<string, 'ca' | 'leaf'>();
  const keys: { file: string; key: KeyObject }[] = [];
  const texts = [
    ...files.map((file) => ({ file, text: fs.readFileSync(file, 'latin1') })),
    ...caCertificates.map((text) => ({ file: undefined, text })),
  ];
  for (const { file, text } of texts) {
    for (const [block, label] of blocks(text)) {
      try {
        if (label === 'CERTIFICATE') {
          const cert = new X509Certificate(block);
          const owner = spki(cert.publicKey);
          // A key that is a CA's anywhere is a CA key.
          if (cert.ca || !certificateOwners.has(owner)) {
            certificateOwners.set(owner, cert.ca ? 'ca' : 'leaf');
          }
        } else if (file && /PRIVATE KEY$/.test(label ?? '')) {
          keys.push({ file, key: createPrivateKey(block) });
        }
      } catch {
        // Not a parseable certificate or key (an encrypted key, say): nothing to compare.
      }
    }
  }
  return keys.flatMap(({ file, key }) => {
    const owner = certificateOwners.get(spki(createPublicKey(key)));
    if (owner === 'leaf') return [];
    return [{ file, kind: owner === 'ca' ? ('ca' as const) : ('orphan' as const) }];
  });
}
