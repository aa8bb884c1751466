import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { SERVICES } from '@citadel/config';
import { strayPrivateKeys } from '@citadel/pki';
import {
  caKeyFindings,
  caKeyVolumes,
  credentialVolumeFindings,
  hardeningFindings,
  imageBuildFindings,
  networkFindings,
  oneShotServices,
  parseCompose,
  restartFindings,
  rootUserFindings,
  secretLiteralFindings,
  secretVolumeFindings,
  servicesWithPorts,
  unpinnedImageFindings,
  volumesWrittenWithCaKeys,
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
  it('publishes one service: the gateway, two replicas on one loopback port each', () => {
    expect(servicesWithPorts(compose)).toEqual(['gateway']);
    // A range: Compose gives each replica one host port of it (8443, 8444).
    expect(compose.services.gateway!.ports).toEqual(['127.0.0.1:8443-8444:8443']);
    const gateway = compose.services.gateway as ComposeService & { deploy?: { replicas?: number } };
    expect(gateway.deploy?.replicas).toBe(2);
  });

  it('gives the gateway replicas a Redis: TLS, a password from a file, on a network of their own', () => {
    const redis = compose.services.redis!;
    expect(redis.ports ?? []).toEqual([]);
    expect(redis.networks).toEqual(['cache']);
    expect(redis.entrypoint).toEqual(['redis-server', '/etc/citadel/redis.conf']);
    const config = fs.readFileSync(path.join(repoPaths.dockerDir, 'redis.conf'), 'utf8');
    expect(config).toMatch(/^port 0$/m);
    expect(config).toMatch(/^tls-port 6379$/m);
    expect(config).toMatch(/^include \/run\/citadel\/redis\/auth\.conf$/m);
    expect(config).not.toMatch(/^requirepass/m);
    expect(compose.services.gateway!.environment).toMatchObject({
      REDIS_PASSWORD_FILE: '/citadel/redis/password',
    });
    expect(compose.services.gateway!.entrypoint).toContain('/app/infra/docker/redis-url.mjs');
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

  it('pins every image it pulls to an exact version: the real Vault, PostgreSQL and Redis', () => {
    expect(unpinnedImageFindings(compose)).toEqual([]);
    expect(compose.services.vault!.image).toMatch(/^hashicorp\/vault:\d+\.\d+\.\d+/);
    expect(compose.services.postgres!.image).toMatch(/^postgres:17\.\d+/);
    expect(compose.services.redis!.image).toMatch(/^redis:\d+\.\d+\.\d+/);
  });

  it('builds each image once, from source, and never pulls one of ours from a registry', () => {
    expect(imageBuildFindings(compose)).toEqual([]);
    expect(compose.services['vault-init']!.build).toBeUndefined();
    expect(compose.services['vault-unseal']!.build).toBeUndefined();
  });

  it('restarts every long-running service unless stopped; the one-shot steps never', () => {
    expect(oneShotServices(compose).sort()).toEqual(['secrets-init', 'vault-init']);
    expect(restartFindings(compose)).toEqual([]);
  });

  it('keeps every CA private key out of every volume a long-running container mounts', () => {
    // Where @citadel/pki would keep a development CA's key (CITADEL_HOME/pki): init steps only.
    expect(caKeyVolumes(compose)).toEqual(['pki']);
    // What secrets-init really writes, volume by volume: it runs here as compose runs it
    // (CITADEL_CONTAINER_ROOT in place of /citadel), and every private key it leaves is a
    // server's, beside its certificate. Its CA's key was never written.
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-secrets-init-'));
    try {
      const run = spawnSync(
        process.execPath,
        [path.join(repoPaths.dockerDir, 'citadel-init.mjs'), 'secrets'],
        {
          env: {
            PATH: process.env.PATH,
            CITADEL_CONTAINER_ROOT: root,
            CITADEL_HOME: path.join(root, 'home'),
          },
          encoding: 'utf8',
        },
      );
      expect([run.status, run.stderr]).toEqual([0, '']);
      const trusted = fs.readFileSync(path.join(root, 'ca', 'ca.pem'), 'utf8');
      const strayKeys = (dir: string) =>
        strayPrivateKeys([dir], [trusted]).map((key) => `${key.kind}: ${key.file}`);
      const written = (target: string) => path.join(root, path.relative('/citadel', target));
      expect(strayKeys(root)).toEqual([]);
      const holding = volumesWrittenWithCaKeys(compose, 'secrets-init', written, strayKeys);
      expect(holding).toEqual([]);
      expect(caKeyFindings(compose, holding)).toEqual([]);
      // The same run with a key of no certificate (a CA's, left without its certificate)
      // planted in the pki volume: found.
      fs.writeFileSync(
        path.join(root, 'home', 'pki', 'ca-key.pem'),
        generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
          type: 'pkcs8',
          format: 'pem',
        }),
      );
      const planted = volumesWrittenWithCaKeys(compose, 'secrets-init', written, strayKeys);
      expect(planted).toEqual(['pki']);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('shares each secret volume with its writer and its readers alone', () => {
    expect(secretVolumeFindings(compose)).toEqual([]);
  });

  it('keeps Vault unsealed after any restart: a loop with the key share alone', () => {
    const unseal = compose.services['vault-unseal']!;
    expect(unseal.command).toEqual(['unseal']);
    expect(unseal.volumes).toEqual(['vault-unseal-key:/citadel/unseal:ro', 'ca:/citadel/ca:ro']);
    expect(unseal.restart).toBe('unless-stopped');
  });

  it('has Vault check PostgreSQL’s certificate: it trusts the infrastructure CA of its own volume', () => {
    const vault = compose.services.vault! as ComposeService & {
      environment?: Record<string, string>;
      networks?: string[];
    };
    const trusted = vault.environment?.SSL_CERT_FILE ?? '';
    expect(trusted).toBe('/vault/tls/ca.pem');
    expect(vault.volumes).toContain('vault-tls:/vault/tls:ro');
    expect(vault.networks).toContain('data');
    // vault-init hands Vault a connection URL with the services' sslmode (verify-full).
    const init = fs.readFileSync(path.join(repoPaths.dockerDir, 'vault-init.mjs'), 'utf8');
    expect(init).toMatch(/searchParams\.set\('sslmode', process\.env\.PGSSLMODE\)/);
    expect(
      (compose.services['vault-init']! as { environment?: Record<string, string> }).environment
        ?.PGSSLMODE,
    ).toBe('verify-full');
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
    const oneShot = oneShotServices(compose);
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
      'gateway: citadel/gateway:1 is not pinned to an exact version (3 parts)',
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
        'gateway: mounts ca, order-vault-credentials; expected only ca, gateway-vault-credentials, redis-secrets',
        'gateway: mounts order-vault-credentials writable',
        'auth: missing',
      ]),
    );
  });
});

describe('the lifecycle checks catch what they look for', () => {
  const bad = parseCompose(`
services:
  secrets-init:
    build: { context: ., args: { APP: init } }
    image: citadel/init:local
    environment: { CITADEL_HOME: /citadel/home }
    volumes: ['pki:/citadel/home/pki']
    restart: on-failure
  vault-init:
    build: { context: ., args: { APP: init } }
    image: citadel/init:local
    pull_policy: build
    restart: 'no'
  vault-unseal:
    image: citadel/init:local
    volumes: ['pki:/citadel/home/pki:ro']
    depends_on:
      secrets-init: { condition: service_completed_successfully }
    restart: always
  postgres:
    image: postgres:17-alpine
    depends_on:
      vault-init: { condition: service_completed_successfully }
  redis:
    image: redis:8.10-alpine
    restart: unless-stopped
  vault:
    image: hashicorp/vault:1.21
    restart: unless-stopped
volumes:
  pki:
`);

  it('finds two services building one image, builds that may pull, and users that may pull', () => {
    expect(imageBuildFindings(bad)).toEqual([
      expect.stringMatching(/^secrets-init: builds citadel\/init:local but may pull it/),
      'secrets-init, vault-init: build the same image citadel/init:local',
      expect.stringMatching(/^vault-unseal: runs citadel\/init:local, built here, but may pull it/),
    ]);
  });

  it('finds long-running services that do not restart unless stopped, and one-shots that restart', () => {
    expect(restartFindings(bad)).toEqual([
      'secrets-init: a one-shot step restarts (on-failure)',
      'vault-unseal: does not restart unless stopped (restart: always)',
      'postgres: does not restart unless stopped (restart: no)',
    ]);
  });

  it('finds a moving tag where an exact version belongs', () => {
    expect(unpinnedImageFindings(bad)).toEqual([
      'postgres: postgres:17-alpine is not pinned to an exact version (2 parts)',
      'redis: redis:8.10-alpine is not pinned to an exact version (3 parts)',
      'vault: hashicorp/vault:1.21 is not pinned to an exact version (3 parts)',
    ]);
    expect(
      unpinnedImageFindings(parseCompose('services: { db: { image: postgres:17.12-alpine } }')),
    ).toEqual([]);
  });

  it('finds the CA key volume mounted by a long-running service', () => {
    expect(caKeyVolumes(bad)).toEqual(['pki']);
    expect(caKeyFindings(bad)).toEqual([
      "vault-unseal: mounts pki, which holds the CA's private key",
    ]);
    // A volume found holding one, wherever it is mounted.
    const elsewhere = parseCompose(`
services:
  secrets-init: { volumes: ['certs:/citadel/certs'], restart: 'no' }
  redis:
    volumes: ['certs:/run/certs:ro']
    depends_on: { secrets-init: { condition: service_completed_successfully } }
    restart: unless-stopped
volumes:
  certs:
`);
    const holding = volumesWrittenWithCaKeys(
      elsewhere,
      'secrets-init',
      (target) => target,
      (dir) => (dir === '/citadel/certs' ? ['ca: /citadel/certs/ca-key.pem'] : []),
    );
    expect(holding).toEqual(['certs']);
    expect(caKeyFindings(elsewhere, holding)).toEqual([
      "redis: mounts certs, which holds the CA's private key",
    ]);
  });

  it('finds a secret volume mounted by a service it is not for', () => {
    expect(secretVolumeFindings(bad, { pki: ['secrets-init', 'vault-init'] })).toEqual([
      'pki: mounted by secrets-init, vault-unseal; expected secrets-init, vault-init',
    ]);
  });
});
