/**
 * A parser for the subset of Vault's HCL policy language Citadel writes:
 *
 *     # comment            // comment
 *     path "secret/data/order/*" {
 *       capabilities = ["read", "list"]
 *     }
 *
 * Anything else (other attributes such as `allowed_parameters`, block comments, other
 * blocks) is rejected with the line it is on. Accepting and ignoring it would make the
 * dev server grant more than the policy author meant, which is the one thing it must not do.
 */

export const CAPABILITIES = [
  'create',
  'read',
  'update',
  'patch',
  'delete',
  'list',
  'sudo',
  'deny',
] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** One `path` block: a glob (`*` only at the end, `+` for one segment) and its capabilities. */
export interface PathRule {
  path: string;
  capabilities: Capability[];
}

export class PolicyParseError extends Error {
  override name = 'PolicyParseError';
  constructor(
    readonly line: number,
    detail: string,
  ) {
    super(`failed to parse policy: line ${line}: ${detail}`);
  }
}

interface Token {
  kind: 'string' | 'word' | 'symbol';
  value: string;
  line: number;
}

const SYMBOLS = '{}[]=,';

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const char = text[i]!;
    if (char === '\n') {
      line++;
      i++;
    } else if (char === ' ' || char === '\t' || char === '\r') {
      i++;
    } else if (char === '#' || text.startsWith('//', i)) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (text.startsWith('/*', i)) {
      throw new PolicyParseError(line, 'block comments are not supported; use # or //');
    } else if (SYMBOLS.includes(char)) {
      tokens.push({ kind: 'symbol', value: char, line });
      i++;
    } else if (char === '"') {
      let value = '';
      i++;
      while (text[i] !== '"') {
        if (i >= text.length || text[i] === '\n') {
          throw new PolicyParseError(line, 'unterminated string (missing closing ")');
        }
        if (text[i] === '\\') {
          const escaped = text[i + 1];
          if (escaped !== '"' && escaped !== '\\') {
            throw new PolicyParseError(line, `unsupported escape \\${escaped ?? ''} in string`);
          }
          value += escaped;
          i += 2;
        } else {
          value += text[i];
          i++;
        }
      }
      i++;
      tokens.push({ kind: 'string', value, line });
    } else if (/[A-Za-z_]/.test(char)) {
      const start = i;
      while (i < text.length && /[A-Za-z0-9_-]/.test(text[i]!)) i++;
      tokens.push({ kind: 'word', value: text.slice(start, i), line });
    } else {
      throw new PolicyParseError(line, `unexpected character "${char}"`);
    }
  }
  return tokens;
}

function describe(token: Token | undefined): string {
  if (!token) return 'the end of the policy';
  return token.kind === 'string' ? `"${token.value}" (a string)` : `"${token.value}"`;
}

function checkGlob(path: string, line: number): string {
  // Vault ignores a leading slash in policy paths.
  const normalized = path.replace(/^\/+/, '');
  if (normalized === '') throw new PolicyParseError(line, 'empty path');
  const star = normalized.indexOf('*');
  if (star !== -1 && star !== normalized.length - 1) {
    throw new PolicyParseError(line, `"*" is allowed only at the end of a path: "${path}"`);
  }
  return normalized;
}

/**
 * Parses a policy into its rules. Blocks for the same path are merged (their capabilities
 * unioned), as Vault does. Throws {@link PolicyParseError} naming the line of the problem.
 */
export function parsePolicy(text: string): PathRule[] {
  const tokens = tokenize(text);
  let position = 0;
  const lastLine = () => tokens.at(-1)?.line ?? 1;
  const next = () => tokens[position++];
  const expectSymbol = (symbol: string, context: string): Token => {
    const token = next();
    if (token?.kind !== 'symbol' || token.value !== symbol) {
      throw new PolicyParseError(
        token?.line ?? lastLine(),
        `expected "${symbol}" ${context}, found ${describe(token)}`,
      );
    }
    return token;
  };

  const rules = new Map<string, Set<Capability>>();
  while (position < tokens.length) {
    const keyword = next()!;
    if (keyword.kind !== 'word' || keyword.value !== 'path') {
      throw new PolicyParseError(
        keyword.line,
        `expected a block 'path "<glob>" { capabilities = [...] }', found ${describe(keyword)}`,
      );
    }
    const pathToken = next();
    if (pathToken?.kind !== 'string') {
      throw new PolicyParseError(
        pathToken?.line ?? keyword.line,
        `expected the path in double quotes after "path", found ${describe(pathToken)}`,
      );
    }
    const path = checkGlob(pathToken.value, pathToken.line);
    expectSymbol('{', `after path "${path}"`);

    let capabilities: Capability[] | undefined;
    while (tokens[position]?.kind !== 'symbol' || tokens[position]?.value !== '}') {
      const attribute = next();
      if (attribute === undefined) {
        throw new PolicyParseError(pathToken.line, `path "${path}" is missing its closing "}"`);
      }
      if (attribute.kind !== 'word' || attribute.value !== 'capabilities') {
        throw new PolicyParseError(
          attribute.line,
          `unsupported ${describe(attribute)} in path "${path}"; only "capabilities" is supported`,
        );
      }
      if (capabilities) {
        throw new PolicyParseError(attribute.line, `capabilities set twice in path "${path}"`);
      }
      expectSymbol('=', 'after "capabilities"');
      expectSymbol('[', 'to open the capability list');
      capabilities = [];
      for (;;) {
        const item = next();
        if (item?.kind === 'symbol' && item.value === ']') break;
        if (item?.kind !== 'string') {
          throw new PolicyParseError(
            item?.line ?? lastLine(),
            `expected a capability in double quotes or "]", found ${describe(item)}`,
          );
        }
        if (!(CAPABILITIES as readonly string[]).includes(item.value)) {
          throw new PolicyParseError(
            item.line,
            `unknown capability "${item.value}" (expected one of ${CAPABILITIES.join(', ')})`,
          );
        }
        capabilities.push(item.value as Capability);
        const separator = tokens[position];
        if (separator?.kind === 'symbol' && separator.value === ',') position++;
        else if (separator?.kind !== 'symbol' || separator.value !== ']') {
          throw new PolicyParseError(
            separator?.line ?? item.line,
            `expected "," or "]" after "${item.value}", found ${describe(separator)}`,
          );
        }
      }
    }
    next(); // the closing "}"
    if (!capabilities) {
      throw new PolicyParseError(pathToken.line, `path "${path}" has no capabilities`);
    }
    const merged = rules.get(path) ?? new Set<Capability>();
    for (const capability of capabilities) merged.add(capability);
    rules.set(path, merged);
  }
  return [...rules].map(([path, capabilities]) => ({ path, capabilities: [...capabilities] }));
}
