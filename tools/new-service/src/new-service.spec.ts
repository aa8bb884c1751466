// The proof that a generated service is secure by default: `npm run new:service -- inventory`
// in a scratch copy of this repository, built and booted for real, then attacked; and the
// repository's own checks (lint, types, the new service's tests, the deployment checks)
// pass with it in the tree. Everything it starts is stopped and everything it writes is
// removed, even when it fails.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { REPO_ROOT, SERVICE_REGISTRY, spiffeId } from '@citadel/config';

const NAME = 'inventory';
/** The next port above the registry's last gRPC service's, as the generator allocates it. */
const PORT =
  Math.max(
    ...SERVICE_REGISTRY.filter((service) => service.kind === 'grpc').map((service) => service.port),
  ) + 1;
const MINUTE = 60_000;

/** The scratch copy: the repository's tracked and working files, and its node_modules reused. */
function copyRepository(target: string): void {
  const listed = spawnSync('git', ['ls-files', '-z', '-co', '--exclude-standard'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  for (const file of listed.stdout.split('\0').filter(Boolean)) {
    const source = path.join(REPO_ROOT, file);
    if (!fs.existsSync(source)) continue; // deleted in the working tree
    fs.mkdirSync(path.dirname(path.join(target, file)), { recursive: true });
    fs.cpSync(source, path.join(target, file), { verbatimSymlinks: true });
  }
  // Every installed package is a link to the real one; the workspaces are links to the
  // scratch copy's own (as npm makes them), so the scratch builds and runs its own code.
  const modules = path.join(target, 'node_modules');
  fs.mkdirSync(path.join(modules, '@citadel'), { recursive: true });
  for (const entry of fs.readdirSync(path.join(REPO_ROOT, 'node_modules'))) {
    if (entry !== '@citadel')
      fs.symlinkSync(path.join(REPO_ROOT, 'node_modules', entry), path.join(modules, entry));
  }
  linkWorkspaces(target);
  // Turbo's cache too: what the suite already built here need not be built again there.
  const cache = path.join(REPO_ROOT, '.turbo', 'cache');
  if (fs.existsSync(cache))
    fs.cpSync(cache, path.join(target, '.turbo', 'cache'), { recursive: true });
}

/** `node_modules/@citadel/<x>` → the workspace, for every workspace of the root package.json. */
function linkWorkspaces(root: string): void {
  const { workspaces } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    workspaces: string[];
  };
  const dirs = workspaces.flatMap((pattern) =>
    pattern.endsWith('/*')
      ? fs
          .readdirSync(path.join(root, pattern.slice(0, -2)))
          .map((dir) => path.join(pattern.slice(0, -2), dir))
      : [pattern],
  );
  for (const dir of dirs) {
    const manifest = path.join(root, dir, 'package.json');
    if (!fs.existsSync(manifest)) continue;
    const { name } = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name: string };
    const link = path.join(root, 'node_modules', name);
    if (!fs.existsSync(link))
      fs.symlinkSync(path.relative(path.dirname(link), path.join(root, dir)), link);
  }
}

const running = new Set<ChildProcess>();

/** Runs a command to completion (its whole process group killed on timeout), with its output. */
function run(
  cwd: string,
  command: string,
  args: string[],
  timeoutMs: number,
  extraEnv: Record<string, string> = {},
): Promise<{ status: number | null; output: string }> {
  // The scratch copy's own settings only: nothing from the jest/turbo/npm run around us.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !/^(npm_|TURBO_|JEST_|CITADEL_)/.test(key) && key !== 'NODE_OPTIONS',
    ),
  );
  Object.assign(env, { TURBO_TELEMETRY_DISABLED: '1' }, extraEnv);
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, detached: true });
    running.add(child);
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
    const timer = setTimeout(() => {
      output += `\n(killed after ${timeoutMs} ms)`;
      killGroup(child);
    }, timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ status, output });
    });
  });
}

function killGroup(child: ChildProcess): void {
  try {
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

async function mustRun(
  cwd: string,
  command: string,
  args: string[],
  timeoutMs: number,
  extraEnv: Record<string, string> = {},
) {
  const result = await run(cwd, command, args, timeoutMs, extraEnv);
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${result.output}`);
  return result.output;
}

/** A mesh identity (certificate and key) as Vault's PKI engine issues it, and the mesh CA. */
interface MeshIdentity {
  cert: string;
  key: string;
  ca: string;
}

/**
 * Certificates from the booted system's mesh CA (Vault's PKI engine), issued with the admin
 * token as the e2e suite's set-up does: the services' own roles, and `analytics`, a valid
 * mesh identity the east-west policy does not know (a role the attacker's stand-in adds).
 */
async function issueMeshIdentities(
  addr: string,
  token: string,
  names: string[],
): Promise<Record<string, MeshIdentity>> {
  const vault = async (apiPath: string, body: object) => {
    const response = await fetch(`${addr}/v1/${apiPath}`, {
      method: 'POST',
      headers: { 'X-Vault-Token': token },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`POST ${apiPath}: HTTP ${response.status} ${text}`);
    return (text ? JSON.parse(text) : {}) as {
      data: { certificate: string; private_key: string; issuing_ca: string };
    };
  };
  await vault('pki/roles/analytics', {
    allowed_uri_sans: [spiffeId('analytics')],
    allowed_domains: ['analytics.citadel.local'],
    allow_bare_domains: true,
    key_type: 'ec',
    no_store: true,
  });
  const identities: Record<string, MeshIdentity> = {};
  for (const name of names) {
    const { data } = await vault(`pki/issue/${name}`, {
      common_name: `${name}.citadel.local`,
      uri_sans: spiffeId(name),
      ttl: '1h',
    });
    identities[name] = { cert: data.certificate, key: data.private_key, ca: data.issuing_ca };
  }
  return identities;
}

/** What the scratch copy's launcher gives back (its own types are not this package's). */
interface BootedSystem {
  ports: Record<string, number>;
  vault: { addr: string };
  demoUsers: { email: string; password: string }[];
  stop(): Promise<void>;
}

describe(`npm run new:service -- ${NAME}: secure by default`, () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-new-service-'));
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-new-service-home-'));
  const from = (file: string) => path.join(scratch, file);
  let system: BootedSystem | undefined;
  let mesh: Record<string, MeshIdentity> = {};
  let generatorOutput = '';
  const clients: grpc.Client[] = [];

  beforeAll(async () => {
    copyRepository(scratch);
    generatorOutput = await mustRun(
      scratch,
      'npm',
      ['run', 'new:service', '--', NAME, '--no-install'],
      2 * MINUTE,
    );
    linkWorkspaces(scratch); // what `npm install` does (--no-install: not in a shared node_modules)
    await mustRun(
      scratch,
      'npx',
      [
        '--no-install',
        'turbo',
        'run',
        'build',
        '--output-logs=errors-only',
        '--filter=./apps/*',
        '--filter=@citadel/launcher...',
        '--filter=@citadel/vault-dev-server',
      ],
      3 * MINUTE,
    );
    const load = (file: string) => import(pathToFileURL(from(file)).href);
    const { bootSystem, freePort, freePorts } = await load('packages/launcher/dist/index.js');
    const { SERVICES } = await load('packages/config/dist/index.js');
    expect(SERVICES).toContain(NAME);
    system = (await bootSystem({
      home,
      ports: await freePorts(SERVICES),
      vaultPort: await freePort(),
      env: { LOG_LEVEL: 'info' },
    })) as BootedSystem;
    const rootToken = fs.readFileSync(path.join(home, 'vault', 'root-token'), 'utf8').trim();
    mesh = await issueMeshIdentities(system.vault.addr, rootToken, [
      'gateway',
      'order',
      'analytics',
    ]);
    // About two minutes on an idle 2-core machine (generate, build what changed, boot); the
    // backstop is for a hang, sized for a machine whose cores other work is also using.
  }, 10 * MINUTE);

  afterAll(async () => {
    for (const client of clients) client.close();
    await system?.stop();
    for (const child of running) killGroup(child);
    fs.rmSync(scratch, { recursive: true, force: true });
    fs.rmSync(home, { recursive: true, force: true });
  }, MINUTE);

  /** A raw gRPC client to `service` in the scratch system, holding `credentials`. */
  function client(service: string, credentials: grpc.ChannelCredentials) {
    const proto = from(`packages/contracts/proto/citadel/${service}/v1/${service}.proto`);
    const definition = protoLoader.loadSync(proto, {
      keepCase: true,
      longs: Number,
      defaults: true,
      includeDirs: [from('packages/contracts/proto')],
    });
    let node: unknown = grpc.loadPackageDefinition(definition);
    const pascal = service[0]!.toUpperCase() + service.slice(1);
    for (const part of ['citadel', service, 'v1', `${pascal}Service`])
      node = (node as Record<string, unknown>)[part];
    const Ctor = node as grpc.ServiceClientConstructor;
    const instance = new Ctor(`127.0.0.1:${system!.ports[service]}`, credentials, {
      // The name a service's certificate carries (its Vault PKI role allows no other).
      'grpc.ssl_target_name_override': `${service}.citadel.local`,
      'grpc.initial_reconnect_backoff_ms': 100,
    });
    clients.push(instance);
    return (method: string, request: object, jwt?: string) =>
      new Promise<{ code: grpc.status; response?: Record<string, unknown> }>((resolve) => {
        const metadata = new grpc.Metadata();
        if (jwt) metadata.set('authorization', `Bearer ${jwt}`);
        (instance as unknown as Record<string, (...args: unknown[]) => void>)[method]!.call(
          instance,
          request,
          metadata,
          { deadline: Date.now() + 5_000 },
          (error: grpc.ServiceError | null, response: Record<string, unknown>) =>
            resolve(error ? { code: error.code } : { code: grpc.status.OK, response }),
        );
      });
  }

  const meshCa = () => Buffer.from(mesh.gateway!.ca);
  const as = (identity: string) =>
    grpc.credentials.createSsl(
      meshCa(),
      Buffer.from(mesh[identity]!.key),
      Buffer.from(mesh[identity]!.cert),
    );

  /** A user's internal JWT for `inventory`, as the gateway obtains it from auth. */
  async function jwtFor(user: string): Promise<string> {
    const { email, password } = system!.demoUsers.find((u) => u.email.startsWith(`${user}@`))!;
    const auth = client('auth', as('gateway'));
    const login = await auth('Login', { email, password });
    const exchanged = await auth('ExchangeToken', {
      access_token: login.response!.access_token,
      audience: NAME,
    });
    expect(exchanged.code).toBe(grpc.status.OK);
    return exchanged.response!.jwt as string;
  }

  it('puts the service in the registry, the east-west policy, Vault, compose and k8s', () => {
    expect(generatorOutput).toContain(`new service ${NAME} on port ${PORT}`);
    expect(fs.readFileSync(from('packages/config/src/service-registry.ts'), 'utf8')).toContain(
      `{ name: '${NAME}', kind: 'grpc', port: ${PORT}, database: true },`,
    );
    for (const file of [
      `apps/${NAME}/src/main.ts`,
      `packages/contracts/proto/citadel/${NAME}/v1/${NAME}.proto`,
      `infra/vault/policies/${NAME}.hcl`,
      `infra/k8s/${NAME}.yaml`,
      `e2e/${NAME}.e2e-spec.ts`,
    ])
      expect([file, fs.existsSync(from(file))]).toEqual([file, true]);
    // main.ts is one call to the shared serviceMain: no second copy of service set-up.
    expect(fs.readFileSync(from(`apps/${NAME}/src/main.ts`), 'utf8')).toMatch(/serviceMain</);
    expect(
      fs.readFileSync(
        from(`infra/k8s/components/network-policies/network-policy-${NAME}.yaml`),
        'utf8',
      ),
    ).toContain(`app: ${NAME}`);
    expect(fs.readFileSync(from('docker-compose.yml'), 'utf8')).toContain(`\n  ${NAME}:\n`);
  });

  it('refuses to generate it twice, changing nothing', async () => {
    const registry = fs.readFileSync(from('packages/config/src/service-registry.ts'), 'utf8');
    const cli = from('tools/new-service/dist/cli.js');
    const again = await run(scratch, process.execPath, [cli, NAME], MINUTE);
    expect(again.status).not.toBe(0);
    expect(again.output).toContain(`"${NAME}" is already a service`);
    expect(fs.readFileSync(from('packages/config/src/service-registry.ts'), 'utf8')).toBe(registry);
  });

  it('refuses a direct call without a client certificate, at the handshake', async () => {
    // The mesh CA is trusted, so the refusal is the missing client certificate's.
    const call = client(NAME, grpc.credentials.createSsl(meshCa()));
    expect((await call('Ping', {})).code).toBe(grpc.status.UNAVAILABLE);
  });

  it('refuses a service its policy does not name (analytics, valid Citadel certificate): PERMISSION_DENIED', async () => {
    const jwt = await jwtFor('ada');
    // analytics: a valid mesh identity no policy names; order: a real service, but not one
    // inventory's policy names.
    for (const identity of ['analytics', 'order']) {
      const call = client(NAME, as(identity));
      expect([identity, (await call('Ping', {}, jwt)).code]).toEqual([
        identity,
        grpc.status.PERMISSION_DENIED,
      ]);
    }
  });

  it('answers an allowed caller (gateway) with a valid user JWT, and holds RBAC', async () => {
    const call = client(NAME, as('gateway'));
    const ok = await call('Ping', {}, await jwtFor('ada'));
    expect(ok).toMatchObject({
      code: grpc.status.OK,
      response: { service: NAME, caller: 'gateway', role: 'admin', pings: 1 },
    });
    // inventory:ping is admins' until a role is granted it; and no JWT, no answer.
    expect((await call('Ping', {}, await jwtFor('alice'))).code).toBe(
      grpc.status.PERMISSION_DENIED,
    );
    expect((await call('Ping', {})).code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it(
    'passes lint, formatting, the type check, its unit and e2e tests and the deployment checks',
    async () => {
      // The booted system is done with: give the machine's cores to the checks.
      await system?.stop();
      system = undefined;
      const touched = [
        `apps/${NAME}`,
        `e2e/${NAME}.e2e-spec.ts`,
        'packages/config/src/service-registry.ts',
        'packages/transport/src/east-west.policy.ts',
        'packages/auth/src/rbac.ts',
      ];
      const formatted = [
        ...touched,
        `packages/contracts/proto/citadel/${NAME}`,
        'docker-compose.yml',
        `infra/k8s/${NAME}.yaml`,
        'infra/k8s/kustomization.yaml',
        'infra/k8s/components/network-policies',
      ];
      await Promise.all([
        mustRun(
          scratch,
          'npx',
          [
            '--no-install',
            'turbo',
            'run',
            'typecheck',
            '--output-logs=errors-only',
            // The builds type-checked every other workspace's sources with it in the tree.
            `--filter=@citadel/${NAME}-service`,
            '--filter=@citadel/e2e',
          ],
          3 * MINUTE,
        ),
        mustRun(scratch, 'npx', ['--no-install', 'eslint', ...touched], 2 * MINUTE).then(() =>
          mustRun(
            scratch,
            'npx',
            ['--no-install', 'prettier', '--check', '--ignore-unknown', ...formatted],
            MINUTE,
          ),
        ),
      ]);
      await mustRun(from(`apps/${NAME}`), 'npm', ['test'], 2 * MINUTE);
      const results = JSON.parse(
        fs.readFileSync(from(`apps/${NAME}/.jest/results.json`), 'utf8'),
      ) as { numPassedTests: number; numFailedTests: number };
      expect(results).toMatchObject({ numFailedTests: 0 });
      expect(results.numPassedTests).toBeGreaterThan(0);
      // Its generated attacker spec, against a system the e2e suite boots as it always does.
      await mustRun(
        from('e2e'),
        'npx',
        ['--no-install', 'jest', `${NAME}.e2e-spec.ts`],
        3 * MINUTE,
        { NODE_OPTIONS: '--experimental-vm-modules' },
      );
      // Compose, Kubernetes and NetworkPolicy checks, with inventory in the registry.
      // docker-compose's own validation of the file needs its binary (CI installs it).
      const hasCompose = !spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).error;
      await mustRun(
        from('infra/deploy'),
        'npx',
        [
          '--no-install',
          'jest',
          'src/network-policies.spec.ts',
          'src/k8s-manifests.spec.ts',
          'src/docker-compose.spec.ts',
          ...(hasCompose ? [] : ['--testNamePattern', '^(?!.*is accepted by `docker-compose)']),
        ],
        2 * MINUTE,
        { NODE_OPTIONS: '--experimental-vm-modules' },
      );
    },
    6 * MINUTE,
  );
});
