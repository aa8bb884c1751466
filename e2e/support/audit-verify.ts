import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GRPC_SERVICES, serviceEnvName } from '@citadel/config';
import { e2eState } from './state.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Runs `npm run audit:verify`'s program against the system the support helpers point at. */
export function auditVerify(): Promise<{ code: number; stdout: string }> {
  const state = e2eState();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(REPO, 'packages/launcher/dist/audit-verify.js')],
      {
        env: {
          PATH: process.env.PATH,
          CITADEL_HOME: state.home,
          // Every gRPC service of the registry, as the launcher names their ports.
          ...Object.fromEntries(
            GRPC_SERVICES.map((service) => [
              `${serviceEnvName(service)}_PORT`,
              String(state.ports[service]),
            ]),
          ),
        },
      },
      (error, stdout) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout }),
    );
  });
}
