import type { Policy } from './acl.js';
import { parsePolicy, type PathRule } from './hcl-policy.js';
import type { Dict } from './store.js';

/**
 * Every token gets `default`. Vault's own default policy grants more (cubbyhole, token
 * capabilities, ...); this is the part Citadel relies on: a service can look up, renew and
 * revoke its own token, and nothing else.
 */
export const DEFAULT_POLICY = `# Attached to every token: a service may look up, renew and revoke its own token.
path "auth/token/lookup-self" {
  capabilities = ["read"]
}

path "auth/token/renew-self" {
  capabilities = ["update"]
}

path "auth/token/revoke-self" {
  capabilities = ["update"]
}
`;

/** Policies by name: the HCL text lives in the state, the parsed rules beside it. */
export class PolicyBook {
  private readonly parsed = new Map<string, PathRule[]>();

  constructor(private readonly texts: Dict<string>) {
    texts['default'] ??= DEFAULT_POLICY;
    for (const [name, text] of Object.entries(texts)) this.parsed.set(name, parsePolicy(text));
  }

  get(name: string): Policy | undefined {
    const rules = this.parsed.get(name);
    return rules && { name, rules };
  }

  text(name: string): string | undefined {
    return this.texts[name];
  }

  /** Parses first, so an invalid policy changes nothing (throws PolicyParseError). */
  write(name: string, text: string): void {
    this.parsed.set(name, parsePolicy(text));
    this.texts[name] = text;
  }

  delete(name: string): void {
    this.parsed.delete(name);
    delete this.texts[name];
  }

  names(): string[] {
    return Object.keys(this.texts);
  }
}
