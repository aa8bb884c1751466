/**
 * The few edits the generator makes to shared files: each one inserts lines at a place it
 * finds by structure (a marker, a declaration and its matching bracket), never by guessing
 * from the surrounding text, and fails loudly when the place is not where it should be.
 */

export class SourceEditError extends Error {
  override name = 'SourceEditError';
}

/**
 * Bracket depth at each character of TypeScript source, with strings, template literals
 * and comments skipped (`-1` there), so a brace inside a comment never counts.
 */
function depths(source: string): Int32Array {
  const depth = new Int32Array(source.length).fill(-1);
  let level = 0;
  for (let i = 0; i < source.length; i++) {
    const char = source[i]!;
    const next = source[i + 1];
    if (char === '/' && next === '/') {
      while (i < source.length && source[i] !== '\n') i++;
      continue;
    }
    if (char === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      i = end === -1 ? source.length : end + 1;
      continue;
    }
    if (char === "'" || char === '"' || char === '`') {
      for (i++; i < source.length && source[i] !== char; i++) if (source[i] === '\\') i++;
      continue;
    }
    if (char === '{' || char === '[' || char === '(') {
      depth[i] = level;
      level++;
      continue;
    }
    if (char === '}' || char === ']' || char === ')') level--;
    depth[i] = level;
  }
  return depth;
}

/** The index of the bracket that closes the one at `open`. */
function matchingClose(source: string, open: number, depth = depths(source)): number {
  const level = depth[open]!;
  for (let i = open + 1; i < source.length; i++) {
    if (depth[i] === level && '}])'.includes(source[i]!)) return i;
  }
  throw new SourceEditError(`unbalanced brackets after offset ${open}`);
}

const lineStart = (source: string, index: number) => source.lastIndexOf('\n', index - 1) + 1;
const insertAt = (source: string, index: number, text: string) =>
  source.slice(0, index) + text + source.slice(index);

/** The `{` or `[` that opens the value of `declaration` (e.g. `export const X = {`). */
function openingOf(source: string, declaration: string, bracket: '{' | '['): number {
  const at = source.indexOf(declaration);
  if (at === -1) throw new SourceEditError(`cannot find "${declaration}"`);
  const open = source.indexOf(bracket, source.indexOf('=', at));
  if (open === -1) throw new SourceEditError(`"${declaration}" has no ${bracket}`);
  return open;
}

/** Inserts `lines` on their own lines just before the line that closes the bracket at `open`. */
function insertBeforeClose(source: string, open: number, lines: string): string {
  const close = matchingClose(source, open);
  const at = lineStart(source, close);
  if (source.slice(at, close).trim() !== '')
    throw new SourceEditError(`the bracket at offset ${open} does not close on a line of its own`);
  return insertAt(source, at, lines.endsWith('\n') ? lines : `${lines}\n`);
}

/** Appends one entry to the service registry, at its marker line. */
export function addRegistryEntry(source: string, entry: string): string {
  const marker = '// new:service appends here';
  const at = source.indexOf(marker);
  if (at === -1) throw new SourceEditError(`the service registry has no "${marker}" line`);
  return insertAt(source, lineStart(source, at), `  ${entry}\n`);
}

/** Prettier's line width (.prettierrc): the policy file stays formatted as it checks it. */
const PRINT_WIDTH = 100;

/**
 * `    key: [...],` as Prettier writes it in the policy file: on one line when it fits,
 * else one method a line.
 */
export function grantEntry(key: string, grant: readonly string[], indent = '    '): string {
  const oneLine = `${indent}${keyLiteral(key)}: [${grant.map((method) => `'${method}'`).join(', ')}],`;
  if (oneLine.length <= PRINT_WIDTH) return oneLine;
  return [
    `${indent}${keyLiteral(key)}: [`,
    ...grant.map((method) => `${indent}  '${method}',`),
    `${indent}],`,
  ].join('\n');
}

/** An object key as Prettier writes it: bare when it can be, quoted otherwise. */
const keyLiteral = (name: string) => (/^[a-z_$][a-z0-9_$]*$/i.test(name) ? name : `'${name}'`);

/** The callee blocks of the east-west policy: name → offset of the block's `{`. */
function policyBlocks(source: string): { open: number; blocks: Map<string, number> } {
  const depth = depths(source);
  const open = openingOf(source, 'export const EAST_WEST_POLICY', '{');
  const close = matchingClose(source, open, depth);
  const inner = depth[open]! + 1;
  const blocks = new Map<string, number>();
  const key = /(?:'([a-z][a-z0-9-]*)'|([a-z][a-z0-9_]*))\s*:\s*\{/g;
  key.lastIndex = open + 1;
  for (let match = key.exec(source); match && match.index < close; match = key.exec(source)) {
    const brace = match.index + match[0].length - 1;
    // A key inside a comment or a string would have its brace there too (depth -1).
    if (depth[brace] === inner) blocks.set(match[1] ?? match[2]!, brace);
  }
  return { open, blocks };
}

/**
 * The east-west policy for a new service: its own block (who may call it), and its name
 * added to the block of each service it calls.
 */
export function addPolicyEntries(
  source: string,
  service: string,
  callers: Readonly<Record<string, readonly string[]>>,
  calls: Readonly<Record<string, readonly string[]>>,
  comment: string,
): string {
  let result = source;
  if (policyBlocks(result).blocks.has(service))
    throw new SourceEditError(`the east-west policy already has a block for ${service}`);
  // The callees first: inserting into them does not move the policy's own closing brace.
  for (const [callee, grant] of Object.entries(calls)) {
    const block = policyBlocks(result).blocks.get(callee);
    if (block === undefined)
      throw new SourceEditError(`the east-west policy has no block for ${callee} to add to`);
    const body = result.slice(block, matchingClose(result, block));
    if (new RegExp(`^\\s*'?${service}'?\\s*:`, 'm').test(body))
      throw new SourceEditError(`${callee} already lists ${service} as a caller`);
    result = insertBeforeClose(result, block, grantEntry(service, grant));
  }
  const own = [
    `  // ${comment}`,
    `  ${keyLiteral(service)}: {`,
    ...Object.entries(callers).map(([caller, grant]) => grantEntry(caller, grant)),
    '  },',
  ].join('\n');
  return insertBeforeClose(result, policyBlocks(result).open, own);
}

/** A new permission at the end of the RBAC table's PERMISSIONS (admins hold every one). */
export function addPermission(source: string, permission: string, comment: string): string {
  const open = openingOf(source, 'export const PERMISSIONS', '[');
  const body = source.slice(open, matchingClose(source, open));
  if (body.includes(`'${permission}'`))
    throw new SourceEditError(`the RBAC table already has ${permission}`);
  return insertBeforeClose(source, open, `  // ${comment}\n  '${permission}',`);
}

/** An export line at the end of a module's index. */
export function addExport(source: string, line: string): string {
  if (source.includes(line)) throw new SourceEditError(`already exported: ${line}`);
  return `${source.replace(/\n*$/, '\n')}${line}\n`;
}

const lines = (text: string) => text.split('\n');

/** The index of the last line of `all` matching `pattern` within [from, to). */
function lastLineMatching(all: string[], pattern: RegExp, from = 0, to = all.length): number {
  for (let i = to - 1; i >= from; i--) if (pattern.test(all[i]!)) return i;
  return -1;
}

/**
 * docker-compose.yml: the service's block before the top-level `networks:`, its AppRole
 * credentials volume mounted into vault-init (which writes it) and declared at the end.
 */
export function addComposeService(
  source: string,
  service: string,
  block: string,
  credentialsMount: string,
): string {
  const all = lines(source);
  if (all.some((line) => line === `  ${service}:`))
    throw new SourceEditError(`docker-compose.yml already has a service ${service}`);
  const networks = all.indexOf('networks:');
  const services = all.indexOf('services:');
  if (services === -1 || networks === -1 || networks < services)
    throw new SourceEditError('docker-compose.yml has no top-level services: then networks:');
  const vaultInit = all.indexOf('  vault-init:', services);
  const vaultInitEnd = all.findIndex((line, i) => i > vaultInit && /^ {2}[a-z0-9-]+:$/.test(line));
  const mount = lastLineMatching(
    all,
    /^ {6}- [a-z0-9-]+-vault-credentials:/,
    vaultInit,
    vaultInitEnd,
  );
  if (vaultInit === -1 || mount === -1)
    throw new SourceEditError('docker-compose.yml: vault-init mounts no credentials volume');
  const declared = lastLineMatching(all, /^ {2}[a-z0-9-]+-vault-credentials:$/, networks);
  if (declared === -1)
    throw new SourceEditError('docker-compose.yml declares no credentials volume');
  const result = [...all];
  result.splice(declared + 1, 0, `  ${service}-vault-credentials:`);
  result.splice(networks, 0, ...lines(block.replace(/\n+$/, '')), '');
  result.splice(mount + 1, 0, `      - ${credentialsMount}`);
  return result.join('\n');
}

/** infra/k8s/kustomization.yaml: one more resource file, after the last one. */
export function addKustomizationResource(source: string, file: string): string {
  const all = lines(source);
  if (all.includes(`  - ${file}`)) throw new SourceEditError(`kustomization already lists ${file}`);
  const last = lastLineMatching(all, /^ {2}- [a-z0-9./-]+\.ya?ml$/);
  if (last === -1) throw new SourceEditError('kustomization.yaml lists no resources');
  all.splice(last + 1, 0, `  - ${file}`);
  return all.join('\n');
}
