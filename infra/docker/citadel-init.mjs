// The entry point of the `init` image (infra/docker/Dockerfile, APP=init):
//
//   secrets      make the dev CA, service and server certificates, and the PostgreSQL
//                superuser password (docker-compose.yml: secrets-init)
//   vault        initialise and unseal Vault, then run the bootstrap (vault-init)
//   unseal       keep Vault unsealed: watch it, unseal it after every restart (vault-unseal)
//   unseal-check vault-unseal's health check
//   rotate-keys  store a new JWT signing key; auth adopts it without a restart
//   ca           print the development CA certificate (for curl --cacert)
//   demo-users   print the demo accounts and their generated passwords
import fs from 'node:fs';
import { layout } from './container-layout.mjs';
import { initSecrets } from './secrets-init.mjs';
import { initVault, printDemoUsers, rotateKeys } from './vault-init.mjs';
import { checkUnsealLoop, runUnsealLoop } from './vault-unseal.mjs';

const COMMANDS = {
  secrets: () => initSecrets(),
  vault: () => initVault(),
  unseal: () => runUnsealLoop(),
  'unseal-check': () => checkUnsealLoop(),
  'rotate-keys': () => rotateKeys(),
  ca: () => process.stdout.write(fs.readFileSync(layout.caFile, 'utf8')),
  'demo-users': () => printDemoUsers(),
};

const command = process.argv[2] ?? '';
const run = COMMANDS[command];
if (!run) {
  process.stderr.write(`usage: citadel-init <${Object.keys(COMMANDS).join(' | ')}>\n`);
  process.exit(2);
}
try {
  await run();
} catch (error) {
  process.stderr.write(
    `citadel-init ${command} failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
}
