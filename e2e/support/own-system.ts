import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SERVICES, type ServiceName } from '@citadel/config';
import {
  bootSystem,
  freePort,
  freePorts,
  RATE_LIMITS_OUT_OF_REACH,
  type RunningSystem,
  type SystemOptions,
} from '@citadel/launcher';
import { issueMeshIdentities } from './mesh.js';
import { STATE_ENV } from './state.js';

/**
 * A system of the spec's own, for specs that stop, kill or restart pieces of it. While it
 * runs, the support helpers (api, tokenFor, grpcClient) talk to it instead of the suite's.
 */
export async function bootOwnSystem(
  options: Omit<SystemOptions, 'home' | 'ports' | 'vaultPort'> = {},
): Promise<{ system: RunningSystem; home: string; dispose(): Promise<void> }> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-own-e2e-'));
  const system = await bootSystem({
    home,
    ports: await freePorts(SERVICES),
    vaultPort: await freePort(),
    // Further gateway replicas (gateway-2, ...) on free ports too.
    gatewayReplicaPorts: await Promise.all(
      Array.from({ length: (options.gatewayReplicas ?? 1) - 1 }, () => freePort()),
    ),
    ...options,
    env: {
      LOG_LEVEL: 'info',
      // Specs drive steady traffic from one address and token: the limits are out of reach
      // unless a spec sets its own (rate-limits.e2e-spec.ts).
      ...RATE_LIMITS_OUT_OF_REACH,
      ...options.env,
    },
  });
  const mesh = await issueMeshIdentities(system.vault.addr, home, [
    ...SERVICES,
    'auditor',
    'analytics',
  ]).catch(async (error: unknown) => {
    await system.stop();
    throw error;
  });
  const stateFile = path.join(home, 'e2e-state.json');
  fs.writeFileSync(
    stateFile,
    JSON.stringify({
      home,
      gatewayUrl: system.gatewayUrl,
      ports: system.ports,
      vaultAddr: system.vault.addr,
      caFile: system.caFile,
      users: system.demoUsers,
      mesh,
    }),
  );
  const previous = process.env[STATE_ENV];
  process.env[STATE_ENV] = stateFile;
  return {
    system,
    home,
    async dispose() {
      await system.stop();
      if (previous) process.env[STATE_ENV] = previous;
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

/** The pid of one of the system's running processes. */
export function pidOf(system: RunningSystem, service: ServiceName): number {
  const pid = system.pidOf(service);
  if (pid === undefined) throw new Error(`${service} is not running`);
  return pid;
}
