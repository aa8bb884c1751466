// Types of vault-api.mjs for the TypeScript specs that drive it (infra/deploy).
export function vaultApi(
  method: string,
  route: string,
  body: unknown,
  options: { addr: string; caFile?: string; timeoutMs?: number },
): Promise<{ status: number; body: Record<string, unknown> }>;
