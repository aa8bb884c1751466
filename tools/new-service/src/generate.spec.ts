import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '@citadel/config';
import {
  citadelPlop,
  GenerateError,
  planService,
  servicePaths,
  sharedFileEdits,
  writeService,
  type ProjectState,
} from './generate.js';
import { renderTemplate } from './plopfile.js';
import { serviceNameProblem } from './service-name.js';
import {
  addPermission,
  addPolicyEntries,
  addRegistryEntry,
  SourceEditError,
  formatAs,
} from './source-edits.js';
import { COMPOSE_TEMPLATE, serviceTemplates, templateData } from './templates.js';
import { addComposeService, addKustomizationResource } from './yaml-edits.js';

const state: ProjectState = {
  registry: [
    { name: 'gateway', kind: 'http', port: 8443 },
    { name: 'auth', kind: 'grpc', port: 50051 },
    { name: 'order', kind: 'grpc', port: 50052 },
    { name: 'payment', kind: 'grpc', port: 50053 },
  ],
  policy: {
    auth: {
      gateway: ['citadel.auth.v1.AuthService/Login'],
      order: ['citadel.auth.v1.AuthService/GetJwks'],
    },
    order: { gateway: ['citadel.order.v1.OrderService/GetOrder'] },
    payment: { order: ['citadel.payment.v1.PaymentService/Charge'] },
  },
  operators: { auditor: ['citadel.order.v1.OrderService/VerifyAudit'] },
  methodsOf: (service) =>
    service === 'payment'
      ? [
          'citadel.payment.v1.PaymentService/Charge',
          'citadel.payment.v1.PaymentService/Refund',
          'citadel.payment.v1.PaymentService/VerifyAudit',
          'citadel.payment.v1.PaymentService/ListAudit',
        ]
      : [],
};
const JWKS = 'citadel.auth.v1.AuthService/GetJwks';
const read = (file: string) => fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
const files = servicePaths('inventory');

describe('service names', () => {
  it.each([
    ['Inventory', /not a service name/],
    ['x', /not a service name/],
    ['9lives', /not a service name/],
    ['a'.repeat(32), /not a service name/],
    ['stock_level', /not a service name/],
    ['stock-', /not a DNS label/],
    ['stock--level', /not a DNS label/],
    ['order', /already a service/],
    ['vault', /reserved/],
    ['analytics', /reserved/],
  ])('refuses %s', (name, problem) => {
    expect(serviceNameProblem(name, ['gateway', 'auth', 'order', 'payment'])).toMatch(problem);
  });

  it('accepts inventory and stock-level', () => {
    expect(serviceNameProblem('inventory', ['order'])).toBeUndefined();
    expect(serviceNameProblem('stock-level', ['order'])).toBeUndefined();
  });
});

describe('planning a service', () => {
  it('defaults: the gateway calls it, it calls auth for the JWKS, the next port, admins only', () => {
    expect(planService({ name: 'stock-level' }, state)).toEqual({
      name: 'stock-level',
      pascal: 'StockLevel',
      constant: 'STOCK_LEVEL',
      port: 50054,
      // Its one method, to its callers; its audit trail is the operators' (OPERATOR_POLICY).
      callers: { gateway: ['citadel.stock_level.v1.StockLevelService/Ping'] },
      calls: { auth: [JWKS] },
      permission: 'stock-level:ping',
      allowedPath: { caller: 'gateway', audience: 'stock-level' },
    });
  });

  it('--callers order --calls payment: a user JWT reaches it through order', () => {
    const plan = planService({ name: 'inventory', callers: ['order'], calls: ['payment'] }, state);
    expect(plan.callers).toEqual({ order: ['citadel.inventory.v1.InventoryService/Ping'] });
    // Every method of the callee's contract but its audit trail, written out for review.
    expect(plan.calls).toEqual({
      auth: [JWKS],
      payment: [
        'citadel.payment.v1.PaymentService/Charge',
        'citadel.payment.v1.PaymentService/Refund',
      ],
    });
    expect(plan.allowedPath).toEqual({ caller: 'order', audience: 'order' });
  });

  it('refuses unknown callers and callees, and names already taken', () => {
    expect(() => planService({ name: 'inventory', callers: ['nobody'] }, state)).toThrow(
      GenerateError,
    );
    expect(() => planService({ name: 'inventory', calls: ['gateway'] }, state)).toThrow(
      /not a gRPC service/,
    );
    expect(() => planService({ name: 'payment' }, state)).toThrow(/already a service/);
  });

  it('refuses a name the policy already grants something to, rather than hand it those grants', () => {
    const granted: ProjectState = {
      ...state,
      policy: {
        ...state.policy,
        payment: { ...state.policy.payment, refund: ['citadel.payment.v1.PaymentService/Refund'] },
      },
    };
    expect(() => planService({ name: 'refund' }, granted)).toThrow(
      /"refund" is already granted calls to payment in the east-west policy/,
    );
    expect(() => planService({ name: 'auditor' }, state)).toThrow(/operator identity/);
    // The project as built: its operators are taken too.
    expect(() => planService({ name: 'auditor' })).toThrow(/operator identity/);
  });
});

describe('edits to the shared files (ts-morph, on their committed text)', () => {
  it('appends to the registry', () => {
    const entry = { name: 'inventory', kind: 'grpc', port: 50054, database: true } as const;
    const edited = addRegistryEntry(read(files.registry), entry);
    expect(edited).toContain("{ name: 'inventory', kind: 'grpc', port: 50054, database: true }");
    expect(edited.indexOf("name: 'inventory'")).toBeGreaterThan(edited.indexOf("name: 'gateway'"));
    expect(() => addRegistryEntry(edited, entry)).toThrow(/already has inventory/);
    expect(() => addRegistryEntry('export const SERVICE_REGISTRY = {};', entry)).toThrow(
      SourceEditError,
    );
  });

  it('adds its own block to the east-west policy, and itself to the blocks of its callees', async () => {
    const source = read(files.policy);
    const ping = 'citadel.stock_level.v1.StockLevelService/Ping';
    const payment = [
      'citadel.payment.v1.PaymentService/Charge',
      'citadel.payment.v1.PaymentService/Refund',
    ];
    const edited = await formatAs(
      files.policy,
      addPolicyEntries(
        source,
        'stock-level',
        { gateway: [ping] },
        { auth: [JWKS], payment },
        'stock-level (npm run new:service): who may call it.',
      ),
    );
    expect(edited).toContain(
      `  // stock-level (npm run new:service): who may call it.\n  'stock-level': { gateway: ['${ping}'] },\n};`,
    );
    const block = (name: string) => edited.slice(edited.indexOf(`  ${name}: {`)).split('\n  },')[0];
    expect(block('auth')).toContain(`'stock-level': ['${JWKS}'],`);
    // Too long for one line: one method a line, as Prettier writes it.
    expect(block('payment')).toContain(
      `    'stock-level': [\n      '${payment[0]}',\n      '${payment[1]}',\n    ],`,
    );
    expect(block('order')).not.toContain('stock-level');
    expect(() => addPolicyEntries(edited, 'stock-level', {}, {}, '')).toThrow(
      /already has a block/,
    );
    expect(() => addPolicyEntries(source, 'x', {}, { nowhere: [JWKS] }, '')).toThrow(/no block/);
    // A key in a comment is no block: the edit reads the syntax tree, not the text.
    expect(() =>
      addPolicyEntries(
        'export const EAST_WEST_POLICY = {\n  // nowhere: { gateway: [] },\n};',
        'x',
        {},
        { nowhere: [JWKS] },
        '',
      ),
    ).toThrow(/no block for nowhere/);
  });

  it('adds its permission to the RBAC table, once', async () => {
    const edited = await formatAs(
      files.rbac,
      addPermission(read(files.rbac), 'inventory:ping', 'inventory'),
    );
    expect(edited).toMatch(/ {2}\/\/ inventory\n {2}'inventory:ping',\n\] as const;/);
    expect(() => addPermission(edited, 'inventory:ping', '')).toThrow(/already has/);
  });

  it('adds it to docker-compose.yml and kustomization.yaml', async () => {
    const plan = planService({ name: 'inventory' }, state);
    const plop = await citadelPlop(REPO_ROOT);
    const block = await renderTemplate(plop, COMPOSE_TEMPLATE, templateData(plan), 'compose.txt');
    const compose = addComposeService(
      read(files.compose),
      'inventory',
      block,
      'inventory-vault-credentials:/citadel/home/vault/inventory',
    );
    expect(compose).toContain('\n  inventory:\n    <<: *hardening\n');
    expect(compose).toContain(
      '      - inventory-vault-credentials:/citadel/home/vault/inventory\n',
    );
    expect(compose).toMatch(/\n {2}inventory-vault-credentials:\n?$/);
    expect(() => addComposeService(compose, 'inventory', '', '')).toThrow(/already has/);
    const kustomization = addKustomizationResource(read(files.kustomization), 'inventory.yaml');
    // After the last resource, whichever service that is.
    expect(kustomization).toMatch(/\n {2}- [a-z-]+\.yaml\n {2}- inventory\.yaml\n#/);
  });

  it('works all of them out on the real files, each formatted as Prettier checks it', async () => {
    const edits = await sharedFileEdits(REPO_ROOT, planService({ name: 'inventory' }));
    expect(Object.keys(edits).sort()).toEqual(
      [files.registry, files.policy, files.rbac, files.compose, files.kustomization].sort(),
    );
    for (const file of [files.registry, files.policy, files.rbac])
      expect([file, await formatAs(file, edits[file]!)]).toEqual([file, edits[file]]);
  });
});

describe('writing a service (Plop, into a scratch root)', () => {
  const shared = [
    files.registry,
    files.policy,
    files.rbac,
    files.compose,
    files.kustomization,
    '.prettierrc.json',
  ];
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-new-service-unit-'));
    for (const file of shared) {
      fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      fs.copyFileSync(path.join(REPO_ROOT, file), path.join(root, file));
    }
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('renders every template and edits every shared file', async () => {
    const plan = planService({ name: 'inventory', calls: ['payment'] });
    const written = await writeService(root, plan);
    expect(written.created).toEqual(serviceTemplates('inventory').map(({ target }) => target));
    for (const file of written.created)
      expect([file, fs.existsSync(path.join(root, file))]).toEqual([file, true]);
    const main = fs.readFileSync(path.join(root, 'apps/inventory/src/main.ts'), 'utf8');
    expect(main).toContain("void serviceMain<InventoryDatabase, 'payment'>({");
    expect(main).toContain("calls: ['payment'],");
    expect(fs.readFileSync(path.join(root, files.registry), 'utf8')).toContain(
      "{ name: 'inventory', kind: 'grpc'",
    );
    // Nothing is left for Handlebars or for Prettier.
    for (const file of written.created) {
      const text = fs.readFileSync(path.join(root, file), 'utf8');
      expect([file, /\{\{|&#x27;|&#x60;|&quot;|&amp;/.test(text)]).toEqual([file, false]);
    }
  });

  it('refuses to overwrite, and changes nothing when a shared file is not as expected', async () => {
    const plan = planService({ name: 'inventory' });
    fs.mkdirSync(path.join(root, 'apps/inventory'), { recursive: true });
    await expect(writeService(root, plan)).rejects.toThrow(
      /refusing to overwrite: apps\/inventory/,
    );
    fs.rmSync(path.join(root, 'apps/inventory'), { recursive: true });
    const rbac = 'export const PERMISSIONS = {};\n';
    fs.writeFileSync(path.join(root, files.rbac), rbac);
    const registry = read(files.registry);
    await expect(writeService(root, plan)).rejects.toThrow(/cannot find the array "PERMISSIONS"/);
    expect(fs.existsSync(path.join(root, 'apps/inventory'))).toBe(false);
    expect(fs.readFileSync(path.join(root, files.registry), 'utf8')).toBe(registry);
  });
});

describe('the generated app', () => {
  const plan = planService({ name: 'inventory' }, state);
  const render = async (file: string) => {
    const plop = await citadelPlop(REPO_ROOT);
    const { template } = serviceTemplates('inventory').find(({ target }) => target.endsWith(file))!;
    return renderTemplate(plop, template, templateData(plan), `apps/inventory/${file}`);
  };
  const imported = (source: string) =>
    [...source.matchAll(/from '(@citadel\/[a-z-]+)'/g)].map((match) => match[1]!);

  it('starts through serviceMain of @citadel/service-kit', async () => {
    expect(await render('src/main.ts')).toContain(
      "import { serviceMain } from '@citadel/service-kit';",
    );
  });

  it('depends on every Citadel package it imports', async () => {
    const manifest = JSON.parse(await render('package.json')) as {
      dependencies: Record<string, string>;
      devDependencies?: Record<string, string>;
    };
    const declared = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies });
    const sources = await Promise.all(
      serviceTemplates('inventory')
        .map(({ target }) => target)
        .filter((target) => target.startsWith('apps/inventory/src/'))
        .map((target) => render(target.slice('apps/inventory/'.length))),
    );
    const used = [...new Set(sources.flatMap(imported))];
    expect(used).toContain('@citadel/service-kit');
    expect(used.filter((name) => !declared.includes(name))).toEqual([]);
  });
});
