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
