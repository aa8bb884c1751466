import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@citadel/config';
import { GenerateError, planService, servicePaths, type ProjectState } from './generate.js';
import { serviceNameProblem } from './service-name.js';
import {
  addComposeService,
  addKustomizationResource,
  addPermission,
  addPolicyEntries,
  addRegistryEntry,
  SourceEditError,
} from './source-edits.js';
import { composeService } from './templates.js';

const state: ProjectState = {
  registry: [
    { name: 'gateway', kind: 'http', port: 8443 },
    { name: 'auth', kind: 'grpc', port: 50051 },
    { name: 'order', kind: 'grpc', port: 50052 },
    { name: 'payment', kind: 'grpc', port: 50053 },
  ],
  policy: {
    auth: { gateway: '*', order: ['GetJwks'], auditor: ['VerifyAudit'] },
    order: { gateway: '*', auditor: ['VerifyAudit'] },
    payment: { order: '*', auditor: ['VerifyAudit'] },
  },
};
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
    ['auditor', /reserved/],
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
      // What every service already grants the operators' auditor, it grants too.
      callers: { gateway: '*', auditor: ['VerifyAudit'] },
      calls: { auth: ['GetJwks'] },
      permission: 'stock-level:ping',
      allowedPath: { caller: 'gateway', audience: 'stock-level' },
    });
  });

  it('--callers order --calls payment: a user JWT reaches it through order', () => {
    const plan = planService({ name: 'inventory', callers: ['order'], calls: ['payment'] }, state);
    expect(plan.callers).toEqual({ order: '*', auditor: ['VerifyAudit'] });
    expect(plan.calls).toEqual({ auth: ['GetJwks'], payment: '*' });
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
});

describe('edits to the shared files (on their committed text)', () => {
  it('appends to the registry at its marker', () => {
    const entry = "{ name: 'inventory', kind: 'grpc', port: 50054, database: true },";
    const edited = addRegistryEntry(read(files.registry), entry);
    expect(edited).toMatch(
      new RegExp(
        `  ${entry.replace(/[{}()[\]*+?.\\^$|]/g, '\\$&')}\n  // new:service appends here`,
      ),
    );
    expect(() => addRegistryEntry('export const SERVICE_REGISTRY = [];', entry)).toThrow(
      SourceEditError,
    );
  });

  it('adds its own block to the east-west policy, and itself to the blocks of its callees', () => {
    const source = read(files.policy);
    const edited = addPolicyEntries(
      source,
      'stock-level',
      { gateway: '*', auditor: ['VerifyAudit'] },
      { auth: ['GetJwks'], payment: '*' },
      'stock-level (npm run new:service): who may call it.',
    );
    expect(edited).toContain(
      "  'stock-level': {\n    gateway: '*',\n    auditor: ['VerifyAudit'],\n  },\n};",
    );
    const block = (name: string) => edited.slice(edited.indexOf(`  ${name}: {`)).split('\n  },')[0];
    expect(block('auth')).toContain("'stock-level': ['GetJwks'],");
    expect(block('payment')).toContain("'stock-level': '*',");
    expect(block('order')).not.toContain('stock-level');
    expect(() => addPolicyEntries(edited, 'stock-level', {}, {}, '')).toThrow(
      /already has a block/,
    );
    expect(() => addPolicyEntries(source, 'x', {}, { nowhere: '*' }, '')).toThrow(/no block/);
  });

  it('adds its permission to the RBAC table, once', () => {
    const edited = addPermission(read(files.rbac), 'inventory:ping', 'inventory');
    expect(edited).toMatch(/ {2}'inventory:ping',\n\] as const;/);
    expect(() => addPermission(edited, 'inventory:ping', '')).toThrow(/already has/);
  });

  it('adds it to docker-compose.yml and kustomization.yaml', () => {
    const plan = planService({ name: 'inventory' }, state);
    const compose = addComposeService(
      read(files.compose),
      'inventory',
      composeService(plan),
      'inventory-vault-credentials:/citadel/home/vault/inventory',
    );
    expect(compose).toContain('\n  inventory:\n    <<: *hardening\n');
    expect(compose).toContain(
      '      - inventory-vault-credentials:/citadel/home/vault/inventory\n',
    );
    expect(compose).toMatch(/\n {2}inventory-vault-credentials:\n?$/);
    expect(() => addComposeService(compose, 'inventory', '', '')).toThrow(/already has/);
    const kustomization = addKustomizationResource(read(files.kustomization), 'inventory.yaml');
    expect(kustomization).toContain('  - gateway.yaml\n  - inventory.yaml\n');
  });
});
