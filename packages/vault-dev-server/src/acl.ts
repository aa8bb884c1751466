import type { Capability, PathRule } from './hcl-policy.js';

/** A named, parsed policy as attached to a token. */
export interface Policy {
  name: string;
  rules: readonly PathRule[];
}

/**
 * Whether a token holding `policies` may perform `capability` on `path` (the request path
 * without `/v1/`). Vault's rules, https://developer.hashicorp.com/vault/docs/concepts/policies:
 *
 * - rules for the same path pattern in several policies are merged (capabilities unioned);
 * - of all patterns matching the path, only the highest-priority one counts (see
 *   {@link comparePriority}); less specific patterns add nothing;
 * - `deny` in that winning rule refuses everything; no matching pattern refuses everything.
 *
 * Root-token bypass and the `sudo` requirement of root-protected paths are the caller's business.
 */
export function allowed(
  policies: readonly Policy[],
  path: string,
  capability: Capability,
): boolean {
  const merged = mergeRules(policies);
  let winner = winningPattern([...merged.keys()], path);
  // A LIST request's path ends in "/", but Vault also lets a rule written without the
  // trailing slash allow it (hashicorp/vault#23874).
  if (winner === undefined && capability === 'list' && path.endsWith('/')) {
    winner = winningPattern([...merged.keys()], path.slice(0, -1));
  }
  if (winner === undefined) return false;
  const capabilities = merged.get(winner)!;
  return !capabilities.has('deny') && capabilities.has(capability);
}

function mergeRules(policies: readonly Policy[]): Map<string, Set<Capability>> {
  const merged = new Map<string, Set<Capability>>();
  for (const policy of policies) {
    for (const rule of policy.rules) {
      const capabilities = merged.get(rule.path) ?? new Set<Capability>();
      for (const capability of rule.capabilities) capabilities.add(capability);
      merged.set(rule.path, capabilities);
    }
  }
  return merged;
}

function winningPattern(patterns: string[], path: string): string | undefined {
  let winner: string | undefined;
  for (const pattern of patterns) {
    if (!matches(pattern, path)) continue;
    if (winner === undefined || comparePriority(pattern, winner) > 0) winner = pattern;
  }
  return winner;
}

/** `+` stands for exactly one path segment; a trailing `*` for any suffix, even an empty one. */
export function matches(pattern: string, path: string): boolean {
  const glob = pattern.endsWith('*');
  const patternSegments = (glob ? pattern.slice(0, -1) : pattern).split('/');
  const pathSegments = path.split('/');
  if (
    glob
      ? pathSegments.length < patternSegments.length
      : pathSegments.length !== patternSegments.length
  ) {
    return false;
  }
  return patternSegments.every((segment, index) => {
    const actual = pathSegments[index]!;
    if (segment === '+') return true;
    // Under a glob, the last pattern segment only has to start the path segment
    // ("secret/data/ord*" matches "secret/data/order/db").
    const isLast = index === patternSegments.length - 1;
    return glob && isLast ? actual.startsWith(segment) : actual === segment;
  });
}

/**
 * Positive when pattern `a` outranks `b`. Vault's documented order, applied in turn:
 * 1. the pattern whose first `+` or `*` comes later wins (so an exact path beats any glob);
 * 2. a pattern not ending in `*` beats one that does;
 * 3. fewer `+` segments win;
 * 4. the longer pattern wins;
 * 5. the lexicographically larger pattern wins.
 */
export function comparePriority(a: string, b: string): number {
  const wildcardA = firstWildcard(a);
  const wildcardB = firstWildcard(b);
  if (wildcardA !== wildcardB) return wildcardA > wildcardB ? 1 : -1;
  const globA = a.endsWith('*');
  const globB = b.endsWith('*');
  if (globA !== globB) return globA ? -1 : 1;
  const plusA = plusSegments(a);
  const plusB = plusSegments(b);
  if (plusA !== plusB) return plusB - plusA;
  if (a.length !== b.length) return a.length - b.length;
  return a === b ? 0 : a > b ? 1 : -1;
}

function firstWildcard(pattern: string): number {
  let offset = 0;
  for (const segment of pattern.split('/')) {
    if (segment === '+' || segment === '+*') return offset;
    offset += segment.length + 1;
  }
  return pattern.endsWith('*') ? pattern.length - 1 : Number.POSITIVE_INFINITY;
}

function plusSegments(pattern: string): number {
  return pattern.split('/').filter((segment) => segment === '+' || segment === '+*').length;
}
