// secrets-init (infra/docker/secrets-init.mjs), run as compose runs it but in a scratch
// directory: the infrastructure certificates, signed by a CA whose key is never written,
// kept while good, and all reissued under a new CA near their end, the old CA still trusted.
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { strayPrivateKeys } from '@citadel/pki';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-secrets-init-spec-'));
process.env.CITADEL_CONTAINER_ROOT = root;
process.env.CITADEL_HOME = path.join(root, 'home');
const { ensureInfrastructureCertificates, initSecrets, INFRA_CERT_DAYS, INFRA_RENEW_DAYS } =
  await import('../../docker/secrets-init.mjs');
const { infrastructureCertificates, layout } = await import('../../docker/container-layout.mjs');

const DAY_MS = 24 * 60 * 60 * 1000;
const quiet = () => undefined;
const bundle = () =>
  (
    fs
      .readFileSync(layout.caFile, 'utf8')
      .match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? []
  ).map((pem) => new X509Certificate(pem));
const leaves = () =>
  infrastructureCertificates(layout).map(
    ({ certFile }) => new X509Certificate(fs.readFileSync(certFile, 'utf8')),
  );

describe('secrets-init (infra/docker/secrets-init.mjs)', () => {
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('signs every infrastructure certificate with one CA, keeps only its certificate, and removes an old CA key', async () => {
    // What an older version left in the pki volume: the development CA's key and a service's.
    fs.mkdirSync(path.join(layout.home, 'pki'), { recursive: true });
    fs.writeFileSync(path.join(layout.home, 'pki', 'ca-key.pem'), 'old CA key');
    fs.writeFileSync(path.join(layout.home, 'pki', 'order-key.pem'), 'old service key');
    await initSecrets(quiet);
    const [ca, ...others] = bundle();
    expect(others).toEqual([]);
    expect(ca!.ca).toBe(true);
    for (const leaf of leaves()) {
      expect(leaf.ca).toBe(false);
      expect(leaf.checkIssued(ca!) && leaf.verify(ca!.publicKey)).toBe(true);
      expect(Date.parse(leaf.validTo) - Date.now()).toBeGreaterThan((INFRA_CERT_DAYS - 1) * DAY_MS);
    }
    expect(fs.readdirSync(path.join(layout.home, 'pki')).sort()).toEqual([
      'ca.pem',
      'gateway-key.pem',
      'gateway.pem',
    ]);
    // Every private key written is a server's: none is a CA's, none is no certificate's.
    expect(strayPrivateKeys([root], [fs.readFileSync(layout.caFile, 'utf8')])).toEqual([]);
  });

  it('changes nothing while the certificates are good', async () => {
    const before = fs.readFileSync(layout.caFile, 'utf8');
    const vault = fs.readFileSync(infrastructureCertificates(layout)[0]!.certFile, 'utf8');
    expect(await ensureInfrastructureCertificates(quiet)).toBe(false);
    expect(fs.readFileSync(layout.caFile, 'utf8')).toBe(before);
    expect(fs.readFileSync(infrastructureCertificates(layout)[0]!.certFile, 'utf8')).toBe(vault);
  });

  it('near their end, reissues them all under a new CA, and still trusts the previous one', async () => {
    const [previous] = bundle();
    const oldLeaves = leaves();
    const nearTheEnd = Date.now() + (INFRA_CERT_DAYS - INFRA_RENEW_DAYS + 1) * DAY_MS;
    expect(await ensureInfrastructureCertificates(quiet, nearTheEnd)).toBe(true);
    const [current, kept, ...older] = bundle();
    expect(older).toEqual([]);
    expect(kept!.fingerprint256).toBe(previous!.fingerprint256);
    expect(current!.fingerprint256).not.toBe(previous!.fingerprint256);
    for (const [i, leaf] of leaves().entries()) {
      expect(leaf.serialNumber).not.toBe(oldLeaves[i]!.serialNumber);
      expect(leaf.verify(current!.publicKey)).toBe(true);
    }
    // A process still serving an old certificate is still trusted until it restarts.
    expect(oldLeaves[0]!.verify(kept!.publicKey)).toBe(true);
    expect(strayPrivateKeys([root], [fs.readFileSync(layout.caFile, 'utf8')])).toEqual([]);
  });

  it('reissues when one certificate is missing', async () => {
    fs.rmSync(infrastructureCertificates(layout)[2]!.certFile);
    expect(await ensureInfrastructureCertificates(quiet)).toBe(true);
    expect(leaves()).toHaveLength(4);
  });
});
