/**
 * The edits the generator makes to shared TypeScript files, on their syntax tree (ts-morph):
 * each finds its place by declaration (`SERVICE_REGISTRY`, `EAST_WEST_POLICY`,
 * `PERMISSIONS`), adds one element or property, and fails loudly when the declaration is not
 * what it should be. Prettier then lays the result out as the repository's files are.
 */
import { format, resolveConfig } from 'prettier';
import {
  Node,
  Project,
  type ArrayLiteralExpression,
  type Expression,
  type ObjectLiteralExpression,
  type SourceFile,
} from 'ts-morph';

export class SourceEditError extends Error {
  override name = 'SourceEditError';
}

function parse(source: string): SourceFile {
  return new Project({ useInMemoryFileSystem: true }).createSourceFile('edited.ts', source);
}

/** `[...] as const satisfies X` → the array literal. */
function unwrap(expression: Expression): Expression {
  let node = expression;
  while (
    Node.isAsExpression(node) ||
    Node.isSatisfiesExpression(node) ||
    Node.isParenthesizedExpression(node)
  )
    node = node.getExpression();
  return node;
}

function arrayOf(file: SourceFile, name: string): ArrayLiteralExpression {
  const initializer = file.getVariableDeclaration(name)?.getInitializer();
  const array = initializer && unwrap(initializer);
  if (!array || !Node.isArrayLiteralExpression(array))
    throw new SourceEditError(`cannot find the array "${name}"`);
  return array;
}

function objectOf(file: SourceFile, name: string): ObjectLiteralExpression {
  const initializer = file.getVariableDeclaration(name)?.getInitializer();
  const object = initializer && unwrap(initializer);
  if (!object || !Node.isObjectLiteralExpression(object))
    throw new SourceEditError(`cannot find the object "${name}"`);
  return object;
}

/** A property of an object literal by its key, quoted (`'stock-level'`) or bare. */
function propertyOf(object: ObjectLiteralExpression, key: string) {
  return object
    .getProperties()
    .find(
      (property) =>
        Node.isPropertyAssignment(property) &&
        property.getName().replace(/^['"]|['"]$/g, '') === key,
    );
}

/** An object key as Prettier writes it: bare when it can be, quoted otherwise. */
const keyLiteral = (name: string) => (/^[a-z_$][a-z0-9_$]*$/i.test(name) ? name : `'${name}'`);
const stringList = (values: readonly string[]) => `[${values.map((v) => `'${v}'`).join(', ')}]`;

/** Formats TypeScript as the repository's Prettier configuration does. */
export async function formatAs(path: string, source: string): Promise<string> {
  const options = (await resolveConfig(path)) ?? {};
  return format(source, { ...options, filepath: path });
}

export interface RegistryEntry {
  name: string;
  kind: 'grpc';
  port: number;
  database: boolean;
}

/** One more service at the end of `SERVICE_REGISTRY`. */
export function addRegistryEntry(source: string, entry: RegistryEntry): string {
  const file = parse(source);
  const registry = arrayOf(file, 'SERVICE_REGISTRY');
  const taken = registry
    .getElements()
    .some(
      (element) =>
        Node.isObjectLiteralExpression(element) &&
        propertyOf(element, 'name')?.getText().endsWith(`'${entry.name}'`),
    );
  if (taken) throw new SourceEditError(`the service registry already has ${entry.name}`);
  registry.addElement(
    `{ name: '${entry.name}', kind: '${entry.kind}', port: ${entry.port}, database: ${entry.database} }`,
  );
  return file.getFullText();
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
  const file = parse(source);
  const policy = objectOf(file, 'EAST_WEST_POLICY');
  if (propertyOf(policy, service))
    throw new SourceEditError(`the east-west policy already has a block for ${service}`);
  for (const [callee, grant] of Object.entries(calls)) {
    const block = propertyOf(policy, callee);
    const callers = block && Node.isPropertyAssignment(block) ? block.getInitializer() : undefined;
    if (!callers || !Node.isObjectLiteralExpression(callers))
      throw new SourceEditError(`the east-west policy has no block for ${callee} to add to`);
    if (propertyOf(callers, service))
      throw new SourceEditError(`${callee} already lists ${service} as a caller`);
    callers.addPropertyAssignment({ name: keyLiteral(service), initializer: stringList(grant) });
  }
  policy.addPropertyAssignment({
    leadingTrivia: `// ${comment}\n`,
    name: keyLiteral(service),
    initializer: `{ ${Object.entries(callers)
      .map(([caller, grant]) => `${keyLiteral(caller)}: ${stringList(grant)}`)
      .join(', ')} }`,
  });
  return file.getFullText();
}

/** A new permission at the end of the RBAC table's PERMISSIONS (admins hold every one). */
export function addPermission(source: string, permission: string, comment: string): string {
  const file = parse(source);
  const permissions = arrayOf(file, 'PERMISSIONS');
  if (permissions.getElements().some((element) => element.getText() === `'${permission}'`))
    throw new SourceEditError(`the RBAC table already has ${permission}`);
  permissions.addElement(`// ${comment}\n'${permission}'`);
  return file.getFullText();
}
