// The template drift check: apps/monitor was made by this generator and has grown since; its
// convention files (manifest, TypeScript and Jest settings, the first module, the bootstrap,
// the Vault policy, the Kubernetes manifest, the compose service, the proto's skeleton and
// the controllers' framework) are what every service shares. The templates, rendered for
// `monitor`, must match them, so a convention changed in the real services fails here until
// the templates follow. Each comparison shows the rendered and the real side by side.
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, SERVICE_REGISTRY } from '@citadel/config';
import type { NodePlopAPI } from 'node-plop';
import { Node, Project, SyntaxKind, type SourceFile } from 'ts-morph';
import { citadelPlop } from './generate.js';
import { renderTemplate } from './plopfile.js';
import { COMPOSE_TEMPLATE, serviceTemplates, templateData, type ServicePlan } from './templates.js';

const REFERENCE = 'monitor';
/** What the monitor has that a new service does not need: its spec harness's gRPC client. */
const REFERENCE_OWN = { devDependencies: ['@grpc/grpc-js'] };

const monitor = SERVICE_REGISTRY.find((service) => service.name === REFERENCE)!;
const plan: ServicePlan = {
  name: REFERENCE,
  pascal: 'Monitor',
  constant: 'MONITOR',
  port: monitor.port,
  callers: {},
  calls: { auth: ['citadel.auth.v1.AuthService/GetJwks'] },
  permission: `${REFERENCE}:ping`,
};
const real = (file: string) => fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
const targets = new Map(
  serviceTemplates(REFERENCE).map(({ template, target }) => [target, template] as const),
);

let plop: NodePlopAPI;
/** The template that makes `target`, rendered (and formatted) for the monitor. */
async function rendered(target: string): Promise<string> {
  const template = targets.get(target);
  if (!template) throw new Error(`no template makes ${target}`);
  return renderTemplate(plop, template, templateData(plan), path.join(REPO_ROOT, target));
}

function parse(source: string, name = 'file.ts'): SourceFile {
  return new Project({ useInMemoryFileSystem: true }).createSourceFile(name, source);
}

/** `module: name, name` for every import of a package (relative imports are the service's own). */
function packageImports(file: SourceFile, skip: string[] = []): string[] {
  return file
    .getImportDeclarations()
    .filter((declaration) => !declaration.getModuleSpecifierValue().startsWith('.'))
    .filter((declaration) => !skip.includes(declaration.getModuleSpecifierValue()))
    .flatMap((declaration) => {
      const module = declaration.getModuleSpecifierValue();
      const names = declaration.getNamedImports().map((named) => named.getName());
      return names.length ? names.map((name) => `${module}: ${name}`) : [`${module}`];
    });
}

/** How main.ts starts the service: the call, whether its promise is voided, and its options. */
function bootstrapShape(source: string) {
  const file = parse(source);
  const call = file
    .getDescendantsOfKind(SyntaxKind.CallExpression)
    .find((node) => node.getExpression().getText() === 'serviceMain');
  const options = call?.getArguments()[0];
  return {
    imports: packageImports(file).sort(),
    voided: call !== undefined && Node.isVoidExpression(call.getParent()),
    options:
      options && Node.isObjectLiteralExpression(options)
        ? options
            .getProperties()
            .map((property) => (Node.isPropertyAssignment(property) ? property.getName() : ''))
            // Its own extras (prepare, calls) are the service's business.
            .filter((name) => ['service', 'migrations', 'module'].includes(name))
        : [],
  };
}

/** The compose block of a service: from `  <name>:` to the blank line that ends it. */
function composeBlock(source: string, name: string): string {
  const lines = source.split('\n');
  const start = lines.indexOf(`  ${name}:`);
  if (start === -1) return '';
  const end = lines.findIndex((line, i) => i > start && line.trim() === '');
  return lines.slice(start, end).join('\n');
}

beforeAll(async () => {
  plop = await citadelPlop(REPO_ROOT);
});

describe(`the templates, rendered for ${REFERENCE}, match apps/${REFERENCE}'s conventions`, () => {
  it('package.json: scripts, dependencies and their ranges, the shared config packages', async () => {
    const template = JSON.parse(await rendered(`apps/${REFERENCE}/package.json`)) as Record<
      string,
      Record<string, string>
    >;
    const actual = JSON.parse(real(`apps/${REFERENCE}/package.json`)) as typeof template;
    for (const name of REFERENCE_OWN.devDependencies) delete actual.devDependencies![name];
    expect(template).toEqual(actual);
  });

  it.each(['tsconfig.json', 'tsconfig.spec.json', 'jest.config.js', 'src/instrumentation.ts'])(
    '%s: the same file',
    async (file) => {
      expect(await rendered(`apps/${REFERENCE}/${file}`)).toBe(real(`apps/${REFERENCE}/${file}`));
    },
  );

  it('src/main.ts: one call to serviceMain, its promise voided, with the same options', async () => {
    const template = bootstrapShape(await rendered(`apps/${REFERENCE}/src/main.ts`));
    expect(template.options).toEqual(['service', 'migrations', 'module']);
    expect(template).toEqual(bootstrapShape(real(`apps/${REFERENCE}/src/main.ts`)));
  });

  it('the controller: the same framework imports as the real controllers', async () => {
    const controllers = fs
      .readdirSync(path.join(REPO_ROOT, 'apps', REFERENCE, 'src'), { recursive: true })
      .map(String)
      .filter((file) => file.endsWith('.controller.ts'));
    expect(controllers.length).toBeGreaterThan(0);
    // Message types are each service's own; the transport, RBAC and framework are shared.
    const skip = ['@citadel/contracts'];
    const used = new Set(
      controllers.flatMap((file) =>
        packageImports(parse(real(path.join('apps', REFERENCE, 'src', file))), skip),
      ),
    );
    const template = packageImports(
      parse(await rendered(`apps/${REFERENCE}/src/pings.controller.ts`)),
      skip,
    );
    expect(template.filter((name) => !used.has(name))).toEqual([]);
  });

  it('its Vault policy: the same file', async () => {
    const file = `infra/vault/policies/${REFERENCE}.hcl`;
    expect(await rendered(file)).toBe(real(file));
  });

  it('its Kubernetes manifest: the same, below its own header comment', async () => {
    const file = `infra/k8s/${REFERENCE}.yaml`;
    const body = (text: string) => text.slice(text.indexOf('\napiVersion:'));
    expect(body(await rendered(file))).toBe(body(real(file)));
  });

  it('its docker-compose.yml service: the same block', async () => {
    const block = await renderTemplate(plop, COMPOSE_TEMPLATE, templateData(plan), 'compose.txt');
    expect(composeBlock(block, REFERENCE)).toBe(
      composeBlock(real('docker-compose.yml'), REFERENCE),
    );
  });

  it('its proto: the same skeleton (syntax, package, imports, service, audit methods)', async () => {
    const file = `packages/contracts/proto/citadel/${REFERENCE}/v1/${REFERENCE}.proto`;
    const skeleton = (await rendered(file))
      .split('\n')
      .filter((line) =>
        /^(syntax|package|import) |^service |^ {2}rpc (VerifyAudit|ListAudit|ListAuditHashes)\(/.test(
          line,
        ),
      );
    expect(skeleton.length).toBeGreaterThanOrEqual(7);
    const lines = new Set(real(file).split('\n'));
    expect(skeleton.filter((line) => !lines.has(line))).toEqual([]);
  });
});

describe('the drift check catches drift (so a clean result means something)', () => {
  it('a changed script, a different bootstrap and a missing policy path are seen', async () => {
    const template = JSON.parse(await rendered(`apps/${REFERENCE}/package.json`)) as {
      scripts: Record<string, string>;
    };
    const actual = JSON.parse(real(`apps/${REFERENCE}/package.json`)) as typeof template;
    expect(template.scripts).toEqual(actual.scripts);
    expect({ ...template.scripts, lint: 'eslint .' }).not.toEqual(actual.scripts);
    const main = real(`apps/${REFERENCE}/src/main.ts`);
    expect(bootstrapShape(main.replace('void serviceMain', 'serviceMain'))).not.toEqual(
      bootstrapShape(main),
    );
    const policy = real(`infra/vault/policies/${REFERENCE}.hcl`);
    expect(await rendered(`infra/vault/policies/${REFERENCE}.hcl`)).not.toBe(
      `${policy}\npath "secret/data/citadel/shared/*" {\n  capabilities = ["read"]\n}\n`,
    );
  });
});
