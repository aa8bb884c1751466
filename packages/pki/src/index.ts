export {
  createCertificateAuthority,
  issueCertificate,
  isCertificateUsable,
  writePrivateFile,
  type CertificateAuthority,
  type IssuedCertificate,
  type IssueOptions,
} from './dev-ca.js';
export { ensureDevPki } from './dev-pki.js';
export { strayPrivateKeys, type StrayPrivateKey } from './ca-key-scan.js';
