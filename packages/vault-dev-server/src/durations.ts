/**
 * Vault takes a duration either as whole seconds (a number or a numeric string) or as a Go
 * duration string ("1h", "30m", "20s", "1h30m"), and always reports it back in seconds.
 * Sub-second parts are dropped, as Vault does.
 */
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

const GO_DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const GO_DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

export class DurationError extends Error {
  override name = 'DurationError';
}

/** Seconds in `value`; `undefined`, `null` and `""` mean 0 ("use the default"). */
export function parseDuration(value: unknown): number {
  if (value === undefined || value === null || value === '') return 0;
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0) return value;
    throw new DurationError(`invalid duration ${value}: expected whole seconds`);
  }
  if (typeof value !== 'string') throw new DurationError('invalid duration: expected a string');
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  if (!GO_DURATION.test(text)) {
    throw new DurationError(`invalid duration "${value}": expected seconds or e.g. "1h", "30m"`);
  }
  let seconds = 0;
  for (const [, amount, unit] of text.matchAll(GO_DURATION_PART)) {
    seconds += Number(amount) * (UNIT_SECONDS[unit!] ?? 0);
  }
  return Math.floor(seconds);
}

/** Go's `time.Duration` spelling ("1h0m0s", "10m0s", "20s"), which Vault uses in warnings. */
export function formatDuration(totalSeconds: number): string {
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}
