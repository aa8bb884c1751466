// People copy this code. A service that patches its runtime (V8 flags set from code, a
// replaced Node export or prototype method, a private table of http2 or grpc-js swapped,
// a private module of another package loaded by path) works on the one runtime it was
// measured on and teaches the reader to do the same. The product is idiomatic: this scans
// every source file of apps/ and packages/ (tests aside) for the shapes such patches take.
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@citadel/config';

const NODE_CORE = new Set([
  'assert', 'async_hooks', 'buffer', 'child_process', 'crypto', 'dgram', 'diagnostics_channel',
  'dns', 'events', 'fs', 'http', 'http2', 'https', 'module', 'net', 'os', 'path', 'perf_hooks',
  'process', 'stream', 'timers', 'tls', 'url', 'util', 'v8', 'vm', 'worker_threads', 'zlib',
]); // prettier-ignore

/**
 * Members Node documents as settable by applications: `tls.DEFAULT_MIN_VERSION` "can be
 * assigned any of the supported TLS protocol versions" (Node's TLS docs). Citadel sets it
 * to TLS 1.3 because grpc-js's credentials take no minimum version of their own.
 */
const ASSIGNABLE = new Set(['tls.DEFAULT_MIN_VERSION']);

/** The names a file binds Node core modules (or their members) to. */
function coreBindings(source: string): string[] {
  const names: string[] = [];
  const imports =
    /import\s+(?:\*\s+as\s+)?([\w$]+)?\s*,?\s*(?:\{([^}]*)\})?\s*from\s+['"](?:node:)?([\w/]+)['"]/g;
  for (const [, whole, members, module] of source.matchAll(imports)) {
    if (!NODE_CORE.has(module!.split('/')[0]!)) continue;
    if (whole) names.push(whole);
    for (const member of (members ?? '').split(',')) {
      const local = member
        .trim()
        .split(/\s+as\s+/)
        .at(-1)
        ?.replace(/^type\s+/, '');
      if (local) names.push(local);
    }
  }
  return names;
}

/** What in `source` patches the runtime or reaches into another package's internals. */
export function runtimePatches(source: string): string[] {
  const found: string[] = [];
  const flag = (what: string, pattern: RegExp) => {
    if (pattern.test(source)) found.push(what);
  };
  flag('sets V8 flags from code (v8.setFlagsFromString)', /\bsetFlagsFromString\s*\(/);
  flag('assigns to a prototype', /\.prototype(?:\.[\w$]+|\[[^\]]+\])\s*=(?!=)/);
  flag('redefines a prototype member', /defineProperty\(\s*[\w$.]+\.prototype\b/);
  flag(
    'changes a global of the runtime (Error.stackTraceLimit)',
    /\bError\.stackTraceLimit\s*=(?!=)/,
  );
  flag('finds private fields by their symbols', /\bgetOwnPropertySymbols\s*\(/);
  flag(
    "loads a path inside another package's build/ or dist/",
    // Any module specifier of a package (not a relative path) that goes into its output.
    /['"](?:@[\w-][\w.-]*\/)?[\w-][\w.-]*\/(?:build|dist)\/[^'"\s]*['"]/,
  );
  for (const name of coreBindings(source)) {
    const escaped = name.replace(/\$/g, '\\$');
    // `name.member = …`, also through a cast: `(name as { member: … }).member = …`.
    const assigned = new RegExp(
      `(?<![\\w$.])(?:${escaped}|\\(\\s*${escaped}\\s+as\\b[^)]*\\))\\.([\\w$]+)(?:\\.[\\w$]+)*\\s*=(?!=)`,
      'g',
    );
    for (const [, member] of source.matchAll(assigned)) {
      if (!ASSIGNABLE.has(`${name}.${member}`)) found.push(`assigns to ${name}.${member} of Node`);
    }
    flag(
      `redefines or merges into a property of Node's ${name}`,
      new RegExp(`(?:defineProperty|Object\\.assign)\\(\\s*${escaped}\\b`),
    );
  }
  return found;
}

function productSources(): string[] {
  const files: string[] = [];
  for (const top of ['apps', 'packages']) {
    const root = path.join(REPO_ROOT, top);
    for (const entry of fs.readdirSync(root, { recursive: true, withFileTypes: true })) {
      const file = path.join(entry.parentPath, entry.name);
      const relative = path.relative(REPO_ROOT, file);
      if (!entry.isFile() || !/\.(?:ts|mts|js|mjs)$/.test(entry.name)) continue;
      if (/(^|\/)(node_modules|dist|\.jest|\.turbo|testing)\//.test(relative)) continue;
      if (/\.(?:spec|e2e-spec|fixture)\.[mc]?[tj]s$/.test(entry.name)) continue;
      // ts-proto's output, rebuilt from the .proto files at every build and never edited:
      // the one shape it shares with a patch is its NestJS `<Service>ControllerMethods()`
      // class decorator, which puts a decorated controller's own method descriptors back on
      // that controller after Nest's GrpcMethod tags them (no Node or library member is
      // touched), and Citadel does not call it (controllers use @ContractMethod).
      if (relative.startsWith('packages/contracts/src/generated/')) continue;
      files.push(relative);
    }
  }
  return files;
}

describe('no runtime patches in the product', () => {
  it('recognises each patch Citadel once carried', () => {
    const removed = [
      "import v8 from 'node:v8';\nv8.setFlagsFromString('--no-allocation-site-pretenuring');",
      "import { AsyncResource } from 'node:async_hooks';\nAsyncResource.prototype.bind = bind;",
      "import http2 from 'node:http2';\nhttp2.connect = connect;",
      "import * as http2 from 'node:http2';\n(http2 as { createSecureServer: unknown }).createSecureServer = x;",
      "import tls from 'node:tls';\ntls.connect = connect;",
      'const limit = Error.stackTraceLimit;\nError.stackTraceLimit = 0;',
      "const transport = require.resolve('@grpc/grpc-js/build/src/transport.js');",
      "const load = createRequire(import.meta.url);\nload('@grpc/grpc-js/build/src/transport.js');",
      'const tables = Object.getOwnPropertySymbols(session);',
    ];
    for (const sample of removed) {
      expect({ sample, found: runtimePatches(sample).length > 0 }).toEqual({ sample, found: true });
    }
  });

  it('leaves idiomatic code alone', () => {
    const idiomatic = [
      "import fs from 'node:fs';\nconst text = fs.readFileSync(file, 'utf8');",
      "import crypto from 'node:crypto';\nconst key = crypto.hash('sha256', value, 'base64url');",
      "import { Server } from 'node:http';\nconst server = new Server();\nserver.keepAliveTimeout = 5_000;",
      "import { Foo } from './dist-like.js';\nif (Error.stackTraceLimit === 0) return;",
    ];
    for (const sample of idiomatic) expect(runtimePatches(sample)).toEqual([]);
  });

  it('finds none in any source file of apps/ or packages/', () => {
    const files = productSources();
    expect(files.length).toBeGreaterThan(50);
    const findings = files.flatMap((file) =>
      runtimePatches(fs.readFileSync(path.join(REPO_ROOT, file), 'utf8')).map(
        (what) => `${file}: ${what}`,
      ),
    );
    expect(findings).toEqual([]);
  });
});
