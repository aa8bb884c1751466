// The docs check must fail on what it exists to catch: run with `node --test scripts/`.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  checkRepository,
  extractCodeSpans,
  findLinks,
  findNpmScripts,
  githubSlug,
  headingAnchors,
  splitFences,
} from './check-docs.mjs';

describe('githubSlug', () => {
  it('follows GitHub: lower case, punctuation dropped, each space a hyphen', () => {
    assert.equal(
      githubSlug('What a gRPC call promoted, and why (found 2026-11-24)'),
      'what-a-grpc-call-promoted-and-why-found-2026-11-24',
    );
    assert.equal(
      githubSlug('The five attack points & what stops each'),
      'the-five-attack-points--what-stops-each',
    );
    assert.equal(githubSlug('`npm run bench`: the [figures](x.md)'), 'npm-run-bench-the-figures');
    assert.equal(githubSlug('`payment_token` and _emphasis_'), 'payment_token-and-emphasis');
  });

  it('numbers repeated headings as GitHub does, and reads setext headings', () => {
    const anchors = headingAnchors(
      '# Notes\n\n## Notes\n\nRun it\n------\n\n```\n# not a heading\n```\n',
    );
    assert.deepEqual([...anchors], ['notes', 'notes-1', 'run-it']);
  });
});

describe('links and code', () => {
  it('finds links in prose, across wrapped lines, but not in code', () => {
    const text =
      'See [the\nedge page](docs/edge.md#logins) and `[no](link.md)`.\n\n```\n[no](fence.md)\n```\n[ref]: <docs/a b.md>\n';
    const { spans, blanked } = extractCodeSpans(splitFences(text).prose);
    assert.deepEqual(findLinks(blanked), [
      { line: 2, target: 'docs/edge.md#logins' },
      { line: 7, target: 'docs/a b.md' },
    ]);
    assert.deepEqual(spans, [{ line: 2, text: '[no](link.md)' }]);
  });

  it('reads the npm scripts a command runs, with its workspace and directory', () => {
    assert.deepEqual(
      findNpmScripts(
        'npm ci && npm start; (cd e2e && npm test) | tee x; npm run lint:openapi -w @citadel/gateway -- --fix; FOO=1 npm run',
      ),
      [
        { script: 'start', workspace: undefined, directory: '.', command: 'npm start' },
        { script: 'test', workspace: undefined, directory: 'e2e', command: 'npm test' },
        {
          script: 'lint:openapi',
          workspace: '@citadel/gateway',
          directory: 'e2e',
          command: 'npm run lint:openapi -w @citadel/gateway -- --fix',
        },
      ],
    );
  });
});

describe('checkRepository', () => {
  const roots = [];
  after(() => roots.forEach((root) => fs.rmSync(root, { recursive: true, force: true })));

  /** A throwaway git repository holding the given files. */
  function repository(files) {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'check-docs-'));
    roots.push(root);
    for (const [file, text] of Object.entries(files)) {
      fs.mkdirSync(path.join(root, path.dirname(file)), { recursive: true });
      fs.writeFileSync(path.join(root, file), text);
    }
    execFileSync('git', ['init', '-q'], { cwd: root });
    return root;
  }

  const packages = {
    'package.json': JSON.stringify({ name: 'root', scripts: { start: 'x', bench: 'x' } }),
    'apps/web/package.json': JSON.stringify({ name: '@acme/web', scripts: { test: 'x' } }),
  };

  it('passes a repository whose links and commands all resolve', () => {
    const root = repository({
      ...packages,
      'README.md': '# Acme\n\n## Run it\n\n`npm start`, then [web](apps/web/README.md#testing).\n',
      'apps/web/README.md':
        '# Web\n\n## Testing\n\n```sh\nnpm test -w @acme/web\ncd apps/web && npm test\n```\n[up](../../README.md#run-it), [folder](../web/), [site](https://example.com)\n',
    });
    assert.deepEqual(checkRepository(root).problems, []);
  });

  it('names every broken link and missing script with file:line', () => {
    const root = repository({
      ...packages,
      'README.md': [
        '# Acme',
        '[gone](docs/gone.md) [anchor](apps/web/README.md#deploying)',
        '[self](#nowhere) [outside](../shared/ARCHITECTURE.md)',
        '',
        '```sh',
        'npm run benchmark && npm test -w @acme/api && npm test',
        '```',
      ].join('\n'),
      'apps/web/README.md': '# Web\n',
    });
    assert.deepEqual(checkRepository(root).problems, [
      'README.md:2: link docs/gone.md: no such file',
      'README.md:2: link apps/web/README.md#deploying: no heading with the anchor #deploying in apps/web/README.md',
      'README.md:3: link #nowhere: no heading with the anchor #nowhere in README.md',
      'README.md:3: link ../shared/ARCHITECTURE.md: points outside the repository',
      'README.md:6: `npm run benchmark`: no script "benchmark" in package.json',
      'README.md:6: `npm test -w @acme/api`: no workspace "@acme/api"',
      'README.md:6: `npm test`: no script "test" in package.json',
    ]);
  });
});
