import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SERVICES } from '@citadel/config';
import {
  credentialVolumeFindings,
  hardeningFindings,
  networkFindings,
  parseCompose,
  rootUserFindings,
  secretLiteralFindings,
  servicesWithPorts,
  unpinnedImageFindings,
  type ComposeService,
} from './compose-checks.js';
import { parseDockerfile } from './dockerfile-checks.js';
import { repoPaths } from './repo-paths.js';

const text = fs.readFileSync(repoPaths.compose, 'utf8');
const compose = parseCompose(text);

/** The last USER of the Dockerfile a service is built from, if it is built here. */
function imageUser(service: ComposeService): string | undefined {
  if (typeof service.build !== 'object') return undefined;
  const file = path.join(
    repoPaths.root,
    service.build.context ?? '.',
    service.build.dockerfile ?? 'Dockerfile',
  );
  const stages = parseDockerfile(fs.readFileSync(file, 'utf8'));
  return stages
    .flatMap((stage) => stage.instructions)
    .filter((instruction) => instruction.keyword === 'USER')
    .at(-1)?.args;
}

describe('docker-compose.yml', () => {
  it('publishes one port: the gateway, on the host loopback only', () => {
    expect(servicesWithPorts(compose)).toEqual(['gateway']);
    expect(compose.services.gateway!.ports).toEqual(['127.0.0.1:8443:8443']);
  });

  it('runs every container as a non-root user', () => {
    expect(rootUserFindings(compose, imageUser)).toEqual([]);
    // Also when a service's `user:` is dropped: the image's USER must not be root either.
    const withoutUsers = {
      services: Object.fromEntries(
        Object.entries(compose.services)
          .filter(([, service]) => service.build)
          .map(([name, service]) => [name, { ...service, user: undefined }]),
      ),
    };
    expect(rootUserFindings(withoutUsers, imageUser)).toEqual([]);
  });

  it('holds no secret literal: every secret is generated at runtime and passed as a file', () => {
    expect(secretLiteralFindings(compose, text)).toEqual([]);
    expect(compose.services.postgres!.environment).toMatchObject({
      POSTGRES_PASSWORD_FILE: expect.stringMatching(/^\//),
    });
  });

  it('pins every image it pulls to a version: the real Vault and PostgreSQL', () => {
    expect(unpinnedImageFindings(compose)).toEqual([]);
    expect(compose.services.vault!.image).toMatch(/^hashicorp\/vault:\d+\.\d+\.\d+/);
    expect(compose.services.postgres!.image).toMatch(/^postgres:17\.\d+/);
  });

  it('runs the real Vault in server mode, over TLS, and the services only ever reach it over TLS', () => {
    expect(compose.services.vault!.entrypoint).toEqual([
      'vault',
      'server',
      '-config=/vault/config/vault.hcl',
    ]);
    const config = fs.readFileSync(path.join(repoPaths.dockerDir, 'vault.hcl'), 'utf8');
    expect(config).toMatch(/tls_cert_file\s*=/);
    expect(config).not.toMatch(/tls_disable\s*=\s*(true|1|"true")/);
    for (const service of SERVICES) {
      expect([service, compose.services[service]!.environment]).toEqual([
        service,
        expect.objectContaining({ VAULT_ADDR: expect.stringMatching(/^https:\/\//) }),
      ]);
    }
  });

  it('hardens every container: read-only root, no capabilities, no privilege escalation', () => {
    expect(hardeningFindings(compose)).toEqual([]);
  });

  it('gives each service its own Vault credentials volume, read-only, and no other secret', () => {
    expect(credentialVolumeFindings(compose)).toEqual([]);
  });

  it('keeps Vault and PostgreSQL on internal networks that only their clients join', () => {
    expect(networkFindings(compose)).toEqual([]);
  });

  it('starts in order with no manual step: health checks and completion conditions', () => {
    const oneShot = ['secrets-init', 'vault-init'];
    for (const [name, service] of Object.entries(compose.services)) {
      const definition = service as ComposeService & {
        healthcheck?: { disable?: boolean; test?: unknown };
        depends_on?: Record<string, { condition?: string }> | string[];
      };
      if (!oneShot.includes(name))
        expect([name, Boolean(definition.healthcheck?.test)]).toEqual([name, true]);
      // A bare list would start a service as soon as its dependency is created.
      expect([name, Array.isArray(definition.depends_on)]).toEqual([name, false]);
      for (const [dependency, { condition }] of Object.entries(definition.depends_on ?? {})) {
        const wanted = oneShot.includes(dependency)
          ? 'service_completed_successfully'
          : 'service_healthy';
        expect([name, dependency, condition]).toEqual([name, dependency, wanted]);
      }
    }
    for (const service of SERVICES) {
      expect(Object.keys(compose.services[service]!)).toContain('depends_on');
    }
  });

  it('is accepted by `docker-compose -f docker-compose.yml config` (apt-get install docker-compose)', () => {
    const result = spawnSync('docker-compose', ['-f', repoPaths.compose, 'config', '--quiet'], {
      cwd: repoPaths.root,
      encoding: 'utf8',
    });
    if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
      throw new Error(
        'docker-compose is not installed, so docker-compose.yml cannot be validated. ' +
          "Install Debian's package: apt-get install -y docker-compose (.ci/run does). " +
          'This check never skips.',
      );
    }
    expect({ status: result.status, stderr: result.stderr }).toMatchObject({ status: 0 });
  });
});

describe('the docker-compose checks catch what they look for (so a clean result means something)', () => {
  const bad = parseCompose(`
services:
  vault:
    image: hashicorp/vault
    entrypoint: ['vault', 'server', '-dev']
    environment:
      VAULT_DEV_ROOT_TOKEN_ID: devroot
  db:
    image: postgres:latest
    user: '0:0'
    read_only: false
    environment:
      POSTGRES_PASSWORD: hunter2
      DATABASE_URL: postgres://admin:pw@db/app
  app:
    build: .
    ports: ['8080:8080']
    environment: ['API_TOKEN=abc', 'API_TOKEN_FILE=/run/x']
  gateway:
    image: citadel/gateway:1
    user: root
    cap_drop: [ALL]
    security_opt: ['no-new-privileges:true']
    read_only: true
    ports: ['8443:8443']
    volumes: ['order-vault-credentials:/x', 'ca:/ca:ro']
volumes:
  order-vault-credentials:
  ca:
`);

  it('finds every kind of violation', () => {
    expect(servicesWithPorts(bad)).toEqual(['app', 'gateway']);
    expect(rootUserFindings(bad)).toEqual([
      expect.stringMatching(/^vault: no user/),
      'db: runs as root (user: 0:0)',
      expect.stringMatching(/^app: no user/),
      'gateway: runs as root (user: root)',
    ]);
    expect(secretLiteralFindings(bad, `key: ${'-----BEGIN'} EC PRIVATE KEY-----`)).toEqual([
      'vault: sets VAULT_DEV_ROOT_TOKEN_ID',
      expect.stringMatching(/^vault: runs Vault in dev mode/),
      expect.stringMatching(/^db: POSTGRES_PASSWORD holds a literal value/),
      expect.stringMatching(/^app: API_TOKEN holds a literal value/),
      'the file contains a PEM private key',
    ]);
    expect(secretLiteralFindings(bad, 'url: postgres://admin:pw@db/app')).toContain(
      'the file contains a URL with a password',
    );
    expect(unpinnedImageFindings(bad)).toEqual([
      'vault: hashicorp/vault is not pinned (no tag)',
      'db: postgres:latest is not pinned (latest)',
    ]);
    expect(hardeningFindings(bad)).toEqual(
      expect.arrayContaining([
        'db: root filesystem is writable',
        'app: does not drop all capabilities',
        'vault: may gain privileges (no-new-privileges is not set)',
      ]),
    );
    expect(credentialVolumeFindings(bad)).toEqual(
      expect.arrayContaining([
        'gateway: mounts ca, order-vault-credentials; expected only gateway-vault-credentials and ca',
        'gateway: mounts order-vault-credentials writable',
        'auth: missing',
      ]),
    );
  });
});
