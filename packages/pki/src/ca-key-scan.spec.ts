import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { strayPrivateKeys } from './ca-key-scan.js';
import { createCertificateAuthority, issueCertificate } from './dev-ca.js';

describe('strayPrivateKeys', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-keys-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  };

  it('passes a server key beside its certificate, and finds a CA key beside the CA certificate', async () => {
    const ca = await createCertificateAuthority();
    const server = await issueCertificate(ca, { commonName: 'vault', dnsNames: ['vault'] });
    write('tls/vault.pem', server.certPem);
    write('tls/vault-key.pem', server.keyPem);
    write('ca/ca.pem', ca.certPem);
    expect(strayPrivateKeys([root])).toEqual([]);

    write('pki/ca-key.pem', ca.keyPem);
    expect(strayPrivateKeys([root])).toEqual([
      { file: path.join(root, 'pki/ca-key.pem'), kind: 'ca' },
    ]);
  });

  it('recognises a CA key by a certificate given apart, and a key of no certificate as an orphan', async () => {
    const ca = await createCertificateAuthority();
    write('keys/ca-key.pem', ca.keyPem);
    expect(strayPrivateKeys([path.join(root, 'keys')], [ca.certPem])).toEqual([
      { file: path.join(root, 'keys/ca-key.pem'), kind: 'ca' },
    ]);
    expect(strayPrivateKeys([path.join(root, 'keys')])).toEqual([
      { file: path.join(root, 'keys/ca-key.pem'), kind: 'orphan' },
    ]);
    expect(strayPrivateKeys([path.join(root, 'missing')])).toEqual([]);
  });
});
