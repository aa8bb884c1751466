import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import { pkiPaths, spiffeId } from '@citadel/config';
import {
  createCertificateAuthority,
  isCertificateUsable,
  issueCertificate,
  writePrivateFile,
  type CertificateAuthority,
} from './dev-ca.js';

/**
 * Makes sure `$CITADEL_HOME/pki` holds a development CA and one certificate per
 * service (URI SAN `spiffe://citadel.local/service/<name>`). Existing, still valid
 * material is kept, so restarts do not churn certificates; anything missing, expiring,
 * signed by another CA or naming another identity (e.g. after the trust domain was
 * renamed) is reissued.
 */
export async function ensureDevPki(home: string, services: readonly string[]): Promise<void> {
  const paths = pkiPaths(home);
  fs.mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  let ca: CertificateAuthority;
  if (
    fs.existsSync(paths.caCert) &&
    fs.existsSync(paths.caKey) &&
    isCertificateUsable(
      fs.readFileSync(paths.caCert, 'utf8'),
      fs.readFileSync(paths.caCert, 'utf8'),
      30,
    )
  ) {
    ca = {
      certPem: fs.readFileSync(paths.caCert, 'utf8'),
      keyPem: fs.readFileSync(paths.caKey, 'utf8'),
    };
  } else {
    ca = await createCertificateAuthority();
    fs.writeFileSync(paths.caCert, ca.certPem);
    writePrivateFile(paths.caKey, ca.keyPem);
  }
  await Promise.all(
    services.map(async (service) => {
      const certFile = paths.cert(service);
      if (
        fs.existsSync(certFile) &&
        fs.existsSync(paths.key(service)) &&
        isCertificateUsable(fs.readFileSync(certFile, 'utf8'), ca.certPem) &&
        carriesIdentity(fs.readFileSync(certFile, 'utf8'), spiffeId(service))
      ) {
        return;
      }
      const issued = await issueCertificate(ca, { commonName: service, uri: spiffeId(service) });
      fs.writeFileSync(certFile, issued.certPem);
      writePrivateFile(paths.key(service), issued.keyPem);
    }),
  );
}

/** Whether a certificate's URI SAN is exactly `uri`. */
function carriesIdentity(certPem: string, uri: string): boolean {
  const sans = new X509Certificate(certPem).subjectAltName?.split(', ') ?? [];
  return sans.includes(`URI:${uri}`);
}
