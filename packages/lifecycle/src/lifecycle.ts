/**
 * How a Citadel process talks to the launcher that started it (`npm start`, the e2e
 * suite): it reports readiness over the IPC channel, and exits when that channel closes,
 * so a crashed or killed launcher never leaves services running behind it.
 */
export function reportReady(details: Record<string, unknown> = {}): void {
  process.send?.({ type: 'ready', ...details });
}

export function exitWithLauncher(shutdown: () => Promise<void>): void {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void shutdown().finally(() => process.exit(0));
  };
  // Listening for good (not once): Nest's shutdown hooks re-raise the signal once Nest is
  // closed, which would kill the process before the rest of `shutdown` (flushing traces,
  // closing Vault and the database) is done. The launcher's SIGKILL bounds the wait.
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (process.connected) process.once('disconnect', stop);
}

/** Logs a fatal start-up error in one clear line and exits non-zero. */
export function failStart(service: string, error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${service}: failed to start: ${message}\n`);
  process.exit(1);
}
