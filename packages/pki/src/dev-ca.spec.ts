import { X509Certificate } from 'node:crypto';
import { createCertificateAuthority, issueCertificate, isCertificateUsable } from './dev-ca.js';

describe('development CA', () => {
  it('issues a service certificate that carries the SPIFFE ID and chains to the CA only', async () => {
    const ca = await createCertificateAuthority();
    const other = await createCertificateAuthority('Someone Else');
    const leaf = await issueCertificate(ca, {
      commonName: 'order',
      uri: 'spiffe://citadel.local/service/order',
    });

    const cert = new X509Certificate(leaf.certPem);
    expect(cert.subjectAltName).toContain('URI:spiffe://citadel.local/service/order');
    expect(cert.ca).toBe(false);
    expect(isCertificateUsable(leaf.certPem, ca.certPem)).toBe(true);
    expect(isCertificateUsable(leaf.certPem, other.certPem)).toBe(false);
    expect(new X509Certificate(ca.certPem).ca).toBe(true);
  });
});
