import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pkiPaths, spiffeId } from '@citadel/config';
import { issueCertificate } from './dev-ca.js';
import { ensureDevPki } from './dev-pki.js';

describe('ensureDevPki', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-pki-'));
  const pki = pkiPaths(home);
  afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

  it('keeps valid certificates, and reissues one naming another identity (a renamed trust domain)', async () => {
    await ensureDevPki(home, ['order', 'payment']);
    const payment = fs.readFileSync(pki.cert('payment'), 'utf8');
    const ca = {
      certPem: fs.readFileSync(pki.caCert, 'utf8'),
      keyPem: fs.readFileSync(pki.caKey, 'utf8'),
    };
    const stale = await issueCertificate(ca, {
      commonName: 'order',
      uri: 'spiffe://old.example/service/order',
    });
    fs.writeFileSync(pki.cert('order'), stale.certPem);

    await ensureDevPki(home, ['order', 'payment']);
    expect(fs.readFileSync(pki.cert('payment'), 'utf8')).toBe(payment);
    const order = new X509Certificate(fs.readFileSync(pki.cert('order')));
    expect(order.subjectAltName?.split(', ')).toContain(`URI:${spiffeId('order')}`);
  });
});
