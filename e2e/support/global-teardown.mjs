import fs from 'node:fs';

/** Stops every process the suite started and removes its state directory. */
export default async function globalTeardown() {
  const run = globalThis.citadelE2e;
  if (!run) return;
  await run.system?.stop();
  if (!process.env.CITADEL_E2E_KEEP) fs.rmSync(run.home, { recursive: true, force: true });
}
