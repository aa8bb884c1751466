#!/usr/bin/env node
// `npm run new:service -- <name> [--callers gateway,order] [--calls payment] [--no-install]`:
// a new Citadel gRPC service, secure by default, in apps/<name> and everywhere the project
// lists its services, rendered by the Plop generator of plopfile.ts. README.md ("Add a service") says what it makes.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '@citadel/config';
import { GenerateError, planService, servicePaths, writeService } from './generate.js';

const USAGE = `usage: npm run new:service -- <name> [--callers <service,...>] [--calls <service,...>] [--no-install]

  <name>       lowercase, /^[a-z][a-z0-9-]{1,30}$/, not an existing service or a reserved word
  --callers    the services that may call it (east-west policy); default: gateway
  --calls      the services it calls besides auth (which it always calls for the JWKS)
  --no-install do not run npm install (which links the new workspace and updates the lock)`;

const list = (values: string[] | undefined) =>
  (values ?? [])
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter(Boolean);

function run(command: string, args: string[], what: string): void {
  process.stdout.write(`  ${what} ...\n`);
  const result = spawnSync(command, args, { cwd: REPO_ROOT, stdio: 'inherit' });
  if (result.status !== 0)
    throw new GenerateError(
      `${what} failed (${command} ${args.join(' ')}); fix it and re-run that`,
    );
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      callers: { type: 'string', multiple: true },
      calls: { type: 'string', multiple: true },
      'no-install': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || positionals.length !== 1) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(values.help ? 0 : 2);
  }
  const plan = planService({
    name: positionals[0]!,
    callers: list(values.callers),
    calls: list(values.calls),
  });
  const generated = await writeService(REPO_ROOT, plan);
  process.stdout.write(
    `Citadel: new service ${plan.name} on port ${plan.port}\n` +
      generated.created.map((file) => `  created ${file}\n`).join('') +
      generated.changed.map((file) => `  changed ${file}\n`).join(''),
  );
  if (!values['no-install'])
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], 'linking the workspace');
  // The NetworkPolicies are rendered from the policy and the registry just changed.
  run(
    'npx',
    [
      '--no-install',
      'turbo',
      'run',
      'build',
      '--output-logs=errors-only',
      '--filter=@citadel/deploy...',
    ],
    'building the policy renderer',
  );
  run(
    'node',
    [path.join('infra', 'deploy', 'dist', 'render.js')],
    'rendering infra/k8s/components/network-policies/',
  );
  const p = servicePaths(plan.name);
  process.stdout.write(
    [
      '',
      `Done. ${plan.name} is in the service registry, so npm start, the dev PKI, the Vault`,
      'bootstrap and the e2e suite include it. Next:',
      '',
      `  npm start                                   # ${plan.name} on :${plan.port}, mTLS only`,
      `  npm test --workspace ${p.app}                # its unit test`,
      `  npm test                                    # everything, ${p.e2e} included`,
      '',
      `Ping needs ${plan.permission}, which only admins hold: grant it to roles in ${servicePaths(plan.name).rbac}.`,
      `Who may call it, and whom it calls: ${p.policy}.`,
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`new:service: ${message}\n`);
  process.exit(1);
});
