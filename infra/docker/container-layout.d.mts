// Types of container-layout.mjs for the TypeScript that drives the init steps (e2e).
export interface ContainerLayout {
  home: string;
  caFile: string;
  vaultTlsDir: string;
  postgresDir: string;
  redisDir: string;
  adminDir: string;
  unsealDir: string;
}
export function containerLayout(root: string, home?: string): ContainerLayout;
export const layout: ContainerLayout;
export const SHARED_FILE_MODE: number;
export interface InfrastructureCertificate {
  name: string;
  dnsNames: string[];
  certFile: string;
  keyFile: string;
  caFile: string;
}
export function infrastructureCertificates(layout: ContainerLayout): InfrastructureCertificate[];
