/** A fact's key: lower-case words joined by `_` (`amount_cents`, `client_ip`). */
const FACT_KEY = /^[a-z_]+$/;
/** A `key=value` token of a detail; the value runs to the next whitespace. */
const FACT_TOKEN = /^([a-z_]+)=(\S+)$/;
/** A word of free text that would read as a fact (`amount_cents=…`). */
const FACT_LIKE = /(^|\s)([a-z_]+)=/g;

/**
 * The machine-readable facts of an audit record's `detail` (see `AuditEvent.detail`): its
 * `key=value` tokens. A key given twice keeps its last value, so the facts
 * {@link withFacts} appends win over anything earlier in the text.
 */
export function detailFacts(detail: string): Record<string, string> {
  const facts: Record<string, string> = {};
  for (const token of detail.split(/\s+/)) {
    const match = FACT_TOKEN.exec(token);
    if (match) facts[match[1]!] = match[2]!;
  }
  return facts;
}

/**
 * `text` followed by `facts` as `key=value` tokens, for an audit record's `detail`:
 * `withFacts('refund', { amount_cents: 1250, currency: 'EUR' })` is
 * `refund amount_cents=1250 currency=EUR`. The monitor's rules read these facts (sums of
 * amounts, logins per client address), so a word of `text` that looks like a fact has its
 * `=` turned into `:`: a reason quoting what a caller sent cannot pose as a fact. Throws on
 * a key that is not lower-case words or a value that is empty, has whitespace or is not a
 * finite number: a fact the monitor cannot read back is a bug at the call site.
 */
export function withFacts(text: string, facts: Record<string, string | number>): string {
  const tokens = Object.entries(facts).map(([key, value]) => factToken(key, value));
  const words = text.trim().replace(FACT_LIKE, '$1$2:');
  return [words, ...tokens].filter((part) => part !== '').join(' ');
}

function factToken(key: string, value: string | number): string {
  if (!FACT_KEY.test(key)) throw new Error(`audit fact key "${key}" is not /^[a-z_]+$/`);
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new Error(`audit fact ${key} is not a finite number (${value})`);
  }
  const text = String(value);
  if (!/^\S+$/.test(text)) {
    throw new Error(`audit fact ${key} must be one word, without spaces (got "${text}")`);
  }
  return `${key}=${text}`;
}
