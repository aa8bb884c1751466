import fs from 'node:fs';
import path from 'node:path';
import { parseCompose } from './compose-checks.js';
import { dockerfileFindings, dockerignoreFindings, isPinnedImage } from './dockerfile-checks.js';
import { repoPaths } from './repo-paths.js';

const SKIP = new Set(['node_modules', '.git', 'dist', '.citadel', '.turbo', '.jest']);

/** Every Dockerfile in the repository (`Dockerfile`, `*.Dockerfile`, `Dockerfile.*`). */
function dockerfiles(dir = repoPaths.root): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (SKIP.has(entry.name)) return [];
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return dockerfiles(file);
    return /^Dockerfile(\..+)?$|\.Dockerfile$/.test(entry.name) ? [file] : [];
  });
}

describe('Dockerfiles', () => {
  const files = dockerfiles();

  it('exist, and docker-compose.yml builds from them only', () => {
    expect(files.map((file) => path.relative(repoPaths.root, file))).toContain(
      'infra/docker/Dockerfile',
    );
    const compose = parseCompose(fs.readFileSync(repoPaths.compose, 'utf8'));
    for (const [name, service] of Object.entries(compose.services)) {
      if (typeof service.build !== 'object') continue;
      const file = path.join(
        repoPaths.root,
        service.build.context ?? '.',
        service.build.dockerfile ?? 'Dockerfile',
      );
      expect([name, files.includes(file)]).toEqual([name, true]);
    }
  });

  it.each(dockerfiles().map((file) => [path.relative(repoPaths.root, file), file]))(
    '%s: multi-stage, pinned base, non-root USER, HEALTHCHECK, production deps, no secrets',
    (_name, file) => {
      expect(dockerfileFindings(fs.readFileSync(file, 'utf8'))).toEqual([]);
    },
  );

  it('.dockerignore keeps local state, keys and installed modules out of the build context', () => {
    expect(dockerignoreFindings(fs.readFileSync(repoPaths.dockerignore, 'utf8'))).toEqual([]);
  });
});

describe('the Dockerfile checks catch what they look for (so a clean result means something)', () => {
  it('finds every kind of violation', () => {
    const bad = [
      'FROM node:lts',
      'ARG NPM_TOKEN',
      'WORKDIR /app',
      'COPY .citadel/pki/ca-key.pem /app/',
      'COPY . .',
      'RUN npm ci',
      'CMD ["node", "main.js"]',
    ].join('\n');
    expect(dockerfileFindings(bad)).toEqual([
      'not a multi-stage build (fewer than two FROM)',
      'base image node:lts is not pinned to a version',
      'the final stage sets no USER: it runs as root',
      'the final stage has no HEALTHCHECK',
      "ARG NPM_TOKEN: a secret would be kept in the image's history",
      'COPY .citadel/pki/ca-key.pem: secret material in an image layer',
      'no production-only install (npm ci --omit=dev)',
      'the final stage installs dev dependencies',
    ]);
    expect(
      dockerfileFindings(
        [
          'FROM node:20.20.2 AS build',
          'RUN npm ci --omit=dev',
          'FROM build',
          'USER 0',
          'HEALTHCHECK NONE',
        ].join('\n'),
      ),
    ).toEqual(['the final stage runs as root (USER 0)', 'the final stage has no HEALTHCHECK']);
  });

  it('knows a pinned image from a floating one', () => {
    expect(isPinnedImage('node:20.20.2-alpine3.22')).toBe(true);
    expect(isPinnedImage(`node@sha256:${'a'.repeat(64)}`)).toBe(true);
    expect(isPinnedImage('registry.example:5000/node:20.20.2')).toBe(true);
    for (const image of [
      'node',
      'node:latest',
      'node:lts-alpine',
      'registry.example:5000/node',
      'node:$V',
    ])
      expect([image, isPinnedImage(image)]).toEqual([image, false]);
  });

  it('requires .dockerignore to exclude the local state', () => {
    expect(dockerignoreFindings('node_modules\n')).toEqual(
      expect.arrayContaining(['.dockerignore does not exclude .citadel']),
    );
  });
});
