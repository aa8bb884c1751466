import { createPrivateKey, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ACL_DENIED,
  loginAsService,
  startTestVault,
  testClock,
  type TestVault,
} from '../testing/harness.js';
import { globMatch } from './pki.routes.js';

/** The type a PEM block declares (`-----BEGIN <type>-----`). */
const pemType = (pem: string) => /^-----BEGIN ([A-Z0-9 ]+)-----\n/.exec(pem)?.[1];

const ORDER_ID = 'spiffe://citadel.local/service/order';
const CLOCK_START = Date.parse('2030-01-01T00:00:00Z');

async function mountWithRoot(vault: TestVault, maxLeaseTtl = '87600h') {
  expect(
    (
      await vault.call('POST', 'sys/mounts/pki', {
        body: { type: 'pki', config: { max_lease_ttl: maxLeaseTtl } },
      })
    ).status,
  ).toBe(204);
  const root = await vault.call('POST', 'pki/root/generate/internal', {
    body: { common_name: 'Citadel Mesh Root', key_type: 'ec', ttl: '87600h' },
  });
  expect(root.status).toBe(200);
  return root;
}

const ORDER_ROLE = {
  allowed_uri_sans: [ORDER_ID],
  allowed_domains: ['order.citadel.local'],
  allow_bare_domains: true,
  allow_subdomains: false,
  enforce_hostnames: true,
  require_cn: true,
  key_type: 'ec',
  key_bits: 256,
  server_flag: true,
  client_flag: true,
  no_store: true,
  ttl: '4h',
  max_ttl: '24h',
};

describe('PKI secrets engine', () => {
  let vault: TestVault;
  beforeEach(async () => {
    vault = await startTestVault();
  });
  afterEach(() => vault.server.close());

  it('generates a root whose key never leaves the server, and serves it at ca/pem unauthenticated', async () => {
    const root = await mountWithRoot(vault);
    const data = root.body.data;
    expect(Object.keys(data).sort()).toEqual(
      [
        'certificate',
        'expiration',
        'issuer_id',
        'issuer_name',
        'issuing_ca',
        'key_id',
        'key_name',
        'serial_number',
      ].sort(),
    );
    expect(JSON.stringify(root.body)).not.toMatch(/PRIVATE KEY/);
    const cert = new X509Certificate(data.certificate);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toBe('CN=Citadel Mesh Root');
    expect(data.serial_number).toBe(cert.serialNumber.toLowerCase().match(/../g)!.join(':'));
    expect(data.expiration).toBe(CLOCK_START / 1000 + 87600 * 3600);

    const pem = await fetch(`${vault.server.url}/v1/pki/ca/pem`);
    expect(pem.status).toBe(200);
    expect(pem.headers.get('content-type')).toBe('application/pem-certificate-chain');
    expect(await pem.text()).toBe(data.certificate);
    expect((await vault.call('GET', 'pki/cert/ca', { token: null })).body.data.certificate).toBe(
      data.certificate,
    );
    const issuers = await vault.call('LIST', 'pki/issuers');
    expect(issuers.body.data.keys).toEqual([data.issuer_id]);
    expect(
      (
        await vault.call('POST', 'pki/root/generate/internal', {
          body: { common_name: 'second' },
        })
      ).status,
    ).toBe(400);
  });

  it('answers LIST issuers with 404 before a root exists', async () => {
    await vault.call('POST', 'sys/mounts/pki', { body: { type: 'pki' } });
    expect((await vault.call('LIST', 'pki/issuers')).status).toBe(404);
    expect((await vault.call('GET', 'sys/mounts')).body['pki/'].type).toBe('pki');
  });

  it('caps the root at the mount’s max lease TTL, with Vault’s warning', async () => {
    await vault.call('POST', 'sys/mounts/pki', { body: { type: 'pki' } });
    const root = await vault.call('POST', 'pki/root/generate/internal', {
      body: { common_name: 'r', key_type: 'ec', ttl: '87600h' },
    });
    expect(root.body.warnings).toEqual([
      'TTL "87600h0m0s" is longer than permitted maxTTL "768h0m0s", so maxTTL is being used',
    ]);
    expect(root.body.data.expiration).toBe(CLOCK_START / 1000 + 768 * 3600);
  });

  it('issues a leaf for the role: its SPIFFE ID, its name, both usages, signed by the root', async () => {
    const root = await mountWithRoot(vault);
    const written = await vault.call('POST', 'pki/roles/order', { body: ORDER_ROLE });
    expect(written.status).toBe(200);
    const role = (await vault.call('GET', 'pki/roles/order')).body.data;
    expect(role).toMatchObject({
      allowed_uri_sans: [ORDER_ID],
      ttl: 4 * 3600,
      max_ttl: 24 * 3600,
      key_type: 'ec',
      no_store: true,
      allow_localhost: true,
    });

    const issued = await vault.call('POST', 'pki/issue/order', {
      body: { common_name: 'order.citadel.local', uri_sans: ORDER_ID, ttl: '60s' },
    });
    expect(issued.status).toBe(200);
    const data = issued.body.data;
    expect(data.private_key_type).toBe('ec');
    // Vault's PEM types: SEC1 for EC keys, PKCS#1 for RSA.
    expect(pemType(data.private_key)).toBe('EC PRIVATE KEY');
    expect(data.issuing_ca).toBe(root.body.data.certificate);
    expect(data.ca_chain).toEqual([root.body.data.certificate]);
    expect(data.expiration).toBe(CLOCK_START / 1000 + 60);

    const cert = new X509Certificate(data.certificate);
    const ca = new X509Certificate(data.issuing_ca);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(data.private_key))).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.subject).toBe('CN=order.citadel.local');
    expect(cert.subjectAltName).toBe(`DNS:order.citadel.local, URI:${ORDER_ID}`);
    expect(cert.keyUsage).toEqual(
      expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']),
    );
    expect(Date.parse(cert.validTo)).toBe(CLOCK_START + 60_000);
    expect(Date.parse(cert.validFrom)).toBe(CLOCK_START - 30_000);
    expect(data.serial_number).toBe(cert.serialNumber.toLowerCase().match(/../g)!.join(':'));

    const rsa = await vault.call('POST', 'pki/roles/rsa', {
      body: { allow_any_name: true, key_type: 'rsa' },
    });
    expect(rsa.body.data.key_bits).toBe(2048);
    const rsaLeaf = await vault.call('POST', 'pki/issue/rsa', { body: { common_name: 'x.test' } });
    expect(pemType(rsaLeaf.body.data.private_key)).toBe('RSA PRIVATE KEY');
    expect(createPrivateKey(rsaLeaf.body.data.private_key).asymmetricKeyType).toBe('rsa');
  });

  it('refuses a URI SAN, a common name or a DNS name the role does not allow, in Vault’s words', async () => {
    await mountWithRoot(vault);
    await vault.call('POST', 'pki/roles/order', { body: ORDER_ROLE });
    const issue = (body: object, role = 'order') =>
      vault.call('POST', `pki/issue/${role}`, { body });

    expect(
      await issue({
        common_name: 'order.citadel.local',
        uri_sans: 'spiffe://citadel.local/service/payment',
      }),
    ).toEqual({
      status: 400,
      body: {
        errors: [
          'URI Subject Alternative Names were provided via the API which are not valid for this role',
        ],
      },
    });
    expect(await issue({ common_name: 'payment.citadel.local' })).toEqual({
      status: 400,
      body: { errors: ['common name payment.citadel.local not allowed by this role'] },
    });
    expect(
      await issue({ common_name: 'order.citadel.local', alt_names: 'evil.example.com' }),
    ).toEqual({
      status: 400,
      body: { errors: ['subject alternate name evil.example.com not allowed by this role'] },
    });
    expect((await issue({ uri_sans: ORDER_ID })).body.errors[0]).toMatch(
      /^the common_name field is required/,
    );
    expect(await issue({ common_name: 'order.citadel.local' }, 'nobody')).toEqual({
      status: 400,
      body: { errors: ['unknown role: nobody'] },
    });

    await vault.call('POST', 'pki/roles/no-uris', {
      body: { allowed_domains: ['x.test'], allow_bare_domains: true, key_type: 'ec' },
    });
    expect(await issue({ common_name: 'x.test', uri_sans: ORDER_ID }, 'no-uris')).toEqual({
      status: 400,
      body: {
        errors: [
          'URI Subject Alternative Names are not allowed in this role, but were provided via the API',
        ],
      },
    });
  });

  it('matches allowed_uri_sans as Go globs, where * also crosses /', () => {
    expect(
      globMatch('spiffe://citadel.local/service/*', 'spiffe://citadel.local/service/a/b'),
    ).toBe(true);
    expect(globMatch(ORDER_ID, ORDER_ID)).toBe(true);
    expect(globMatch(ORDER_ID, `${ORDER_ID}x`)).toBe(false);
    expect(globMatch('spiffe://*/order', 'spiffe://x/y/order')).toBe(true);
    expect(globMatch('a*b*c', 'abc')).toBe(true);
    expect(globMatch('a*b*c', 'acb')).toBe(false);
  });

  it('clamps a TTL above the role’s max_ttl with a warning, and refuses one past the CA', async () => {
    await vault.call('POST', 'sys/mounts/pki', {
      body: { type: 'pki', config: { max_lease_ttl: '48h' } },
    });
    await vault.call('POST', 'pki/root/generate/internal', {
      body: { common_name: 'short root', key_type: 'ec', ttl: '10h' },
    });
    await vault.call('POST', 'pki/roles/order', {
      body: { ...ORDER_ROLE, ttl: '1h', max_ttl: '2h' },
    });
    const clamped = await vault.call('POST', 'pki/issue/order', {
      body: { common_name: 'order.citadel.local', ttl: '3h' },
    });
    expect(clamped.status).toBe(200);
    expect(clamped.body.warnings).toEqual([
      'TTL "3h0m0s" is longer than permitted maxTTL "2h0m0s", so maxTTL is being used',
    ]);
    expect(clamped.body.data.expiration).toBe(CLOCK_START / 1000 + 2 * 3600);
    const byRole = await vault.call('POST', 'pki/issue/order', {
      body: { common_name: 'order.citadel.local' },
    });
    expect(byRole.body.data.expiration).toBe(CLOCK_START / 1000 + 3600);

    vault.clock.advance(9.5 * 3600);
    const beyond = await vault.call('POST', 'pki/issue/order', {
      body: { common_name: 'order.citadel.local' },
    });
    expect(beyond.status).toBe(400);
    expect(beyond.body.errors[0]).toMatch(
      /^cannot satisfy request, as TTL would result in notAfter of .* that is beyond the expiration of the CA certificate at /,
    );

    expect(
      await vault.call('POST', 'pki/roles/bad', { body: { ttl: '3h', max_ttl: '1h' } }),
    ).toEqual({ status: 400, body: { errors: ['"ttl" value must be less than "max_ttl" value'] } });
  });

  it('needs update on pki/issue/<role>: a service issues its own identity and no other', async () => {
    await mountWithRoot(vault);
    await vault.call('POST', 'pki/roles/order', { body: ORDER_ROLE });
    await vault.call('POST', 'pki/roles/payment', {
      body: { ...ORDER_ROLE, allowed_uri_sans: ['spiffe://citadel.local/service/payment'] },
    });
    const { token } = await loginAsService(
      vault,
      'order',
      'path "pki/issue/order" { capabilities = ["update"] }',
    );
    const own = await vault.call('POST', 'pki/issue/order', {
      token,
      body: { common_name: 'order.citadel.local', uri_sans: ORDER_ID },
    });
    expect(own.status).toBe(200);
    expect(
      await vault.call('POST', 'pki/issue/payment', {
        token,
        body: { common_name: 'order.citadel.local' },
      }),
    ).toEqual({ status: 403, body: ACL_DENIED });
    expect(
      (await vault.call('POST', 'pki/roles/order', { token, body: { allow_any_name: true } }))
        .status,
    ).toBe(403);

    const reader = await loginAsService(
      vault,
      'reader',
      'path "pki/issue/order" { capabilities = ["read", "create"] }',
    );
    expect(
      await vault.call('POST', 'pki/issue/order', {
        token: reader.token,
        body: { common_name: 'order.citadel.local' },
      }),
    ).toEqual({ status: 403, body: ACL_DENIED });
  });
});

describe('PKI state across restarts', () => {
  it('keeps the root, its key and the roles in the state file', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-pki-'));
    const stateFile = path.join(home, 'state.json');
    const clock = testClock();
    try {
      const first = await startTestVault({ stateFile, rootToken: 'root', now: clock.now });
      const root = await mountWithRoot(first);
      await first.call('POST', 'pki/roles/order', { body: ORDER_ROLE });
      await first.server.close();

      const second = await startTestVault({ stateFile, rootToken: 'root', now: clock.now });
      try {
        const issued = await second.call('POST', 'pki/issue/order', {
          body: { common_name: 'order.citadel.local', uri_sans: ORDER_ID },
        });
        expect(issued.status).toBe(200);
        const cert = new X509Certificate(issued.body.data.certificate);
        expect(cert.verify(new X509Certificate(root.body.data.certificate).publicKey)).toBe(true);
      } finally {
        await second.server.close();
      }
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
