// Types of secrets-init.mjs for the TypeScript that tests it (infra/deploy).
export const INFRA_CERT_DAYS: number;
export const INFRA_CA_DAYS: number;
export const INFRA_RENEW_DAYS: number;
export function ensureInfrastructureCertificates(
  log?: (line: string) => void,
  now?: number,
): Promise<boolean>;
export function initSecrets(log?: (line: string) => void): Promise<void>;
