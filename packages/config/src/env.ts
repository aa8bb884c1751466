import { z } from 'zod';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Reads a service's configuration once, at start, through one schema. A missing or
 * malformed value stops the process with a message that names the variable and what
 * it expects; nothing else in the code reads `process.env`.
 */
export function loadEnv<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) => `  ${issue.path.join('.') || '(root)'}: ${issue.message}`,
  );
  throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
}

/** A TCP port given as an environment string. */
export const port = (fallback: number) =>
  z.coerce.number().int().min(1).max(65535).default(fallback);

export const isLoopback = (host: string): boolean =>
  host === '127.0.0.1' || host === '::1' || host === 'localhost';

/** The loopback host every local listener binds; a non-loopback bind is refused in local mode. */
export const loopbackHost = z.string().default('127.0.0.1').refine(isLoopback, {
  message: 'expected a loopback address (127.0.0.1, ::1 or localhost)',
});
