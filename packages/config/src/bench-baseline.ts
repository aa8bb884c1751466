import { z } from 'zod';
import { loadEnv } from './env.js';

/**
 * The benchmark's insecure baseline (`npm run bench`): the same processes and handlers
 * with the internal security switched off (plaintext gRPC, no token exchange, no JWT, no
 * east-west policy), so that what security costs per request can be measured against it.
 * It exists for that measurement only. It is on only when this variable holds exactly
 * this value; any other value stops the process, and `npm start` refuses to start while
 * the variable is set at all.
 */
export const BENCH_BASELINE_VAR = 'CITADEL_INSECURE_BENCH_BASELINE';
export const BENCH_BASELINE_VALUE = 'i-understand-this-disables-security';

export const benchBaselineEnvSchema = z.object({
  [BENCH_BASELINE_VAR]: z
    .string()
    .optional()
    .refine((value) => !value || value === BENCH_BASELINE_VALUE, {
      message: `unset, or exactly "${BENCH_BASELINE_VALUE}" (benchmark baseline only)`,
    })
    .transform((value) => value === BENCH_BASELINE_VALUE),
});

/** Whether `env` asks for the insecure baseline; throws `ConfigError` on any other value. */
export function parseBenchBaseline(env: NodeJS.ProcessEnv): boolean {
  return loadEnv(benchBaselineEnvSchema, env)[BENCH_BASELINE_VAR];
}

let enabled: boolean | undefined;

/** The process's answer, read once from `process.env` and fixed for its lifetime. */
export function benchBaselineEnabled(): boolean {
  enabled ??= parseBenchBaseline(process.env);
  return enabled;
}

/**
 * Why a process that must never run insecure (the `npm start` launcher) refuses to
 * start: the variable is present, whatever its value. `undefined` when it is absent.
 */
export function benchBaselineRefusal(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env[BENCH_BASELINE_VAR] === undefined) return undefined;
  return (
    `${BENCH_BASELINE_VAR} is set. It switches internal security off for the benchmark ` +
    `baseline (npm run bench) only, and npm start never runs without security. Unset it.`
  );
}
