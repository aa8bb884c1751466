// Types of vault-unseal.mjs for the TypeScript specs that drive it (infra/deploy).
export type VaultCall = (
  method: string,
  route: string,
  body?: unknown,
) => Promise<{ status: number; body: Record<string, unknown> }>;
export type SealState =
  'active' | 'unsealed' | 'unreachable' | 'uninitialised' | 'no-key' | 'refused';
export const UNSEAL_KEY_FILE: string;
export const HEARTBEAT_FILE: string;
export function writeUnsealKey(keys: string[], file?: string): void;
export function readUnsealKeys(file?: string): string[] | undefined;
export function unsealOnce(options: {
  call: VaultCall;
  readKeys: () => string[] | undefined;
}): Promise<SealState>;
export function watchSeal(options: {
  call: VaultCall;
  readKeys?: () => string[] | undefined;
  log?: (line: string) => void;
  intervalMs?: number;
  maxIntervalMs?: number;
  random?: () => number;
  heartbeat?: (state: SealState) => void;
  signal?: AbortSignal;
}): Promise<void>;
export function runUnsealLoop(): Promise<void>;
export function checkUnsealLoop(maxAgeMs?: number): void;
