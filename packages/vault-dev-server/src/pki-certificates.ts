import 'reflect-metadata';
import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type KeyAlgorithm = webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/**
 * The certificates the PKI engine makes, through @peculiar/x509 over Node's WebCrypto: a
 * self-signed root whose key never leaves the server's state, and leaves signed by it.
 */

export type PkiKeyType = 'ec' | 'rsa';

/** Vault's `key_bits` 0 means the type's default. P-224 is not in WebCrypto, so not here. */
const EC_CURVES: Record<number, { curve: string; hash: string }> = {
  256: { curve: 'P-256', hash: 'SHA-256' },
  384: { curve: 'P-384', hash: 'SHA-384' },
  521: { curve: 'P-521', hash: 'SHA-512' },
};
const RSA_BITS = [2048, 3072, 4096, 8192];

export function defaultKeyBits(type: PkiKeyType): number {
  return type === 'ec' ? 256 : 2048;
}

/** Vault's answer to a key size its key type does not have. */
export function keyBitsError(type: PkiKeyType, bits: number): string | undefined {
  const known = type === 'ec' ? Object.keys(EC_CURVES).map(Number) : RSA_BITS;
  if (known.includes(bits)) return undefined;
  return type === 'ec'
    ? `unsupported bit length for EC key: ${bits}`
    : `RSA keys < 2048 bits are unsafe and not supported: got ${bits}`;
}

function algorithm(type: PkiKeyType, bits: number): KeyAlgorithm & { hash?: string } {
  if (type === 'ec') {
    const { curve, hash } = EC_CURVES[bits]!;
    return { name: 'ECDSA', namedCurve: curve, hash };
  }
  return {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: bits,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  };
}

async function generateKeys(type: PkiKeyType, bits: number): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(algorithm(type, bits), true, [
    'sign',
    'verify',
  ])) as unknown as CryptoKeyPair;
}

async function pkcs8Pem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key as webcrypto.CryptoKey);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/**
 * Vault hands out a private key in its type's own PEM form (`private_key_format` "der"):
 * SEC 1 `EC PRIVATE KEY` or PKCS #1 `RSA PRIVATE KEY`. Node converts from PKCS #8.
 */
function vaultKeyPem(pkcs8: string, type: PkiKeyType): string {
  return createPrivateKey(pkcs8)
    .export({ type: type === 'ec' ? 'sec1' : 'pkcs1', format: 'pem' })
    .toString();
}

/** A positive 159-bit serial (RFC 5280 §4.1.2.2: at most 20 octets), as Vault draws it. */
function newSerial(): string {
  const bytes = randomBytes(20);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

/** Vault's spelling of a serial: lower-case hex octets joined by colons. */
export function vaultSerial(hex: string): string {
  const trimmed = hex.replace(/^(00)+(?=.)/, '');
  return (trimmed.length % 2 ? `0${trimmed}` : trimmed).match(/../g)!.join(':');
}

export interface StoredIssuer {
  certificate: string;
  /** PKCS #8 PEM; only the state file holds it, no response ever does. */
  keyPem: string;
  keyType: PkiKeyType;
  keyBits: number;
  serialNumber: string;
  /** Epoch ms. */
  notAfter: number;
}

export async function generateRoot(options: {
  commonName: string;
  keyType: PkiKeyType;
  keyBits: number;
  /** Epoch ms. */
  now: number;
  ttlS: number;
}): Promise<StoredIssuer> {
  const { keyType, keyBits } = options;
  const keys = await generateKeys(keyType, keyBits);
  const serial = newSerial();
  const notAfter = options.now + options.ttlS * 1000;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial,
    name: [{ CN: [options.commonName] }],
    notBefore: new Date(options.now - 30_000),
    notAfter: new Date(notAfter),
    keys,
    signingAlgorithm: algorithm(keyType, keyBits),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    certificate: cert.toString('pem'),
    keyPem: await pkcs8Pem(keys.privateKey),
    keyType,
    keyBits,
    serialNumber: vaultSerial(serial),
    notAfter,
  };
}

export interface LeafRequest {
  commonName: string;
  dnsNames: string[];
  ipAddresses: string[];
  uris: string[];
  keyType: PkiKeyType;
  keyBits: number;
  serverFlag: boolean;
  clientFlag: boolean;
  /** Epoch ms. */
  notBefore: number;
  notAfter: number;
}

export interface IssuedLeaf {
  certificate: string;
  privateKey: string;
  serialNumber: string;
}

async function issuerKey(issuer: StoredIssuer): Promise<CryptoKey> {
  return (await webcrypto.subtle.importKey(
    'pkcs8',
    x509.PemConverter.decodeFirst(issuer.keyPem),
    algorithm(issuer.keyType, issuer.keyBits),
    false,
    ['sign'],
  )) as unknown as CryptoKey;
}

/** A leaf signed by `issuer`, with Vault's default key usages for a role. */
export async function issueLeaf(issuer: StoredIssuer, request: LeafRequest): Promise<IssuedLeaf> {
  const keys = await generateKeys(request.keyType, request.keyBits);
  const issuerCert = new x509.X509Certificate(issuer.certificate);
  const serial = newSerial();
  const names: x509.JsonGeneralName[] = [
    ...request.dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...request.ipAddresses.map((value) => ({ type: 'ip' as const, value })),
    ...request.uris.map((value) => ({ type: 'url' as const, value })),
  ];
  const usages = [
    ...(request.serverFlag ? [x509.ExtendedKeyUsage.serverAuth] : []),
    ...(request.clientFlag ? [x509.ExtendedKeyUsage.clientAuth] : []),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: request.commonName ? [{ CN: [request.commonName] }] : [],
    issuer: issuerCert.subject,
    notBefore: new Date(request.notBefore),
    notAfter: new Date(request.notAfter),
    signingKey: await issuerKey(issuer),
    publicKey: keys.publicKey,
    signingAlgorithm: algorithm(issuer.keyType, issuer.keyBits),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature |
          x509.KeyUsageFlags.keyAgreement |
          x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      ...(usages.length ? [new x509.ExtendedKeyUsageExtension(usages, false)] : []),
      ...(names.length ? [new x509.SubjectAlternativeNameExtension(names, false)] : []),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(issuerCert),
    ],
  });
  return {
    certificate: cert.toString('pem'),
    privateKey: vaultKeyPem(await pkcs8Pem(keys.privateKey), request.keyType),
    serialNumber: vaultSerial(serial),
  };
}
