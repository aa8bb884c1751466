import { parsePolicy, PolicyParseError } from './hcl-policy.js';

function parseError(text: string): PolicyParseError {
  try {
    parsePolicy(text);
  } catch (error) {
    if (error instanceof PolicyParseError) return error;
    throw error;
  }
  throw new Error('expected a parse error');
}

describe('parsePolicy', () => {
  it('reads path blocks, comments of both kinds and one-line blocks', () => {
    const rules = parsePolicy(`
# The order service reads its own secrets.
path "secret/data/order/*" {
  capabilities = ["read", "list"] // and lists them
}

// Metadata, for listing.
path "secret/metadata/order/" { capabilities = ["list",] }
path "/secret/data/+/shared" {
  capabilities = [
    "read",
    "deny"
  ]
}
`);
    expect(rules).toEqual([
      { path: 'secret/data/order/*', capabilities: ['read', 'list'] },
      { path: 'secret/metadata/order/', capabilities: ['list'] },
      { path: 'secret/data/+/shared', capabilities: ['read', 'deny'] },
    ]);
  });

  it('merges blocks for the same path, as Vault does', () => {
    const rules = parsePolicy(`
path "secret/data/a" { capabilities = ["read"] }
path "secret/data/a" { capabilities = ["update", "read"] }
`);
    expect(rules).toEqual([{ path: 'secret/data/a', capabilities: ['read', 'update'] }]);
  });

  it('accepts an empty policy and a "#" inside a path', () => {
    expect(parsePolicy('# nothing granted\n')).toEqual([]);
    expect(parsePolicy('path "a#b" { capabilities = ["read"] }')).toEqual([
      { path: 'a#b', capabilities: ['read'] },
    ]);
  });

  it.each([
    ['path "a" {\n  capabilities = ["read", "reed"]\n}', 2, 'unknown capability "reed"'],
    ['path "a" {\n  allowed_parameters = {}\n}', 2, 'only "capabilities" is supported'],
    ['\n\npath "a/*/b" { capabilities = ["read"] }', 3, '"*" is allowed only at the end'],
    ['path "a" {\n  capabilities = ["read"]\n', 1, 'missing its closing "}"'],
    ['path "a" { capabilities = ["read" "list"] }', 1, 'expected "," or "]"'],
    ['path a { capabilities = ["read"] }', 1, 'expected the path in double quotes'],
    ['path "a" { capabilities = ["read"] }\nkey "x" {}', 2, "expected a block 'path"],
    ['path "a" {\n}', 1, 'has no capabilities'],
    ['path "a" {\n  capabilities = ["read"]\n  capabilities = ["list"]\n}', 3, 'set twice'],
    ['path "a {\n capabilities = ["read"] }', 1, 'unterminated string'],
    ['/* block */ path "a" { capabilities = ["read"] }', 1, 'block comments are not supported'],
    ['path "a" { capabilities = "read" }', 1, 'expected "["'],
    ['path "" { capabilities = ["read"] }', 1, 'empty path'],
  ])('rejects %p naming line %p', (text, line, detail) => {
    const error = parseError(text);
    expect(error.line).toBe(line);
    expect(error.message).toContain(`line ${line}:`);
    expect(error.message).toContain(detail);
  });
});
