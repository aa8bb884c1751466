import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  ca: Buffer;
  requests: autocannon.Request[];
  connections: number;
  durationS: number;
  /**
   * Seconds at the start of the run that are not counted in req/s or latency: every
   * connection does its TLS handshake then, and the first requests wait behind them.
   */
  settleS?: number;
}

export interface LoadResult {
  /** Successful (2xx) responses per second, after the settling time. */
  rps: number;
  /** Latency percentiles of those responses, in ms, at 0.01 ms resolution. */
  p50Ms: number;
  p99Ms: number;
  /** Successful responses to requests sent after the settling time. */
  requests: number;
  /** Successful responses over the whole run, settling time included (what the CPU served). */
  totalRequests: number;
  /** Anything but a 2xx: responses, errors and timeouts. A bench of refusals is no bench. */
  failures: number;
  statusCodes: Record<string, number>;
}

/** One run, with what {@link combineLoads} needs to pool it with others. */
export interface LoadSample extends LoadResult {
  /** Latencies of the counted responses, ms, sorted. */
  latenciesMs: Float64Array;
  /** Seconds over which the counted requests were sent (the run, less its settling time). */
  countedS: number;
}

/**
 * One autocannon run over HTTPS with keep-alive (autocannon keeps its connections open).
 * Latencies are collected per response at microsecond resolution: autocannon's own
 * histogram rounds to whole milliseconds, too coarse for a 1 ms budget. With `settleS`,
 * the requests sent in the first seconds (the connections' TLS handshakes and the queue
 * behind them) are served but not counted: the figures are keep-alive requests only.
 */
export function runLoad(options: LoadOptions): Promise<LoadSample> {
  const latencies: number[] = [];
  let total = 0;
  const started = performance.now();
  const settleMs = (options.settleS ?? 0) * 1000;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.durationS,
        requests: options.requests,
        timeout: 30,
        // autocannon never verifies the server (rejectUnauthorized is off inside); the CA
        // is given anyway so the handshake is the one a real client makes.
        tlsOptions: { ca: options.ca, minVersion: 'TLSv1.3' },
      },
      (error, result) => {
        if (error) return reject(error);
        const statusCodes = Object.fromEntries(
          Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count]),
        );
        const sorted = Float64Array.from(latencies).sort();
        const countedS = Math.max(result.duration - settleMs / 1000, 0.001);
        resolve({
          ...counted(sorted, countedS),
          totalRequests: total,
          failures: result.non2xx + result.errors + result.timeouts,
          statusCodes,
          latenciesMs: sorted,
          countedS,
        });
      },
    );
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status < 200 || status >= 300) return;
      total++;
      // Counted by when the request was sent, so a slow first request is not counted late.
      if (performance.now() - ms - started >= settleMs) latencies.push(ms);
    });
  });
}

/**
 * Several runs against one target as if they were one: requests over the seconds they were
 * counted in, and percentiles over all their latencies together.
 */
export function combineLoads(samples: LoadSample[]): LoadResult {
  const latencies = new Float64Array(samples.reduce((n, s) => n + s.latenciesMs.length, 0));
  let offset = 0;
  for (const sample of samples) {
    latencies.set(sample.latenciesMs, offset);
    offset += sample.latenciesMs.length;
  }
  latencies.sort();
  const statusCodes: Record<string, number> = {};
  for (const sample of samples)
    for (const [code, count] of Object.entries(sample.statusCodes))
      statusCodes[code] = (statusCodes[code] ?? 0) + count;
  const sum = (f: (sample: LoadSample) => number) => samples.reduce((n, s) => n + f(s), 0);
  return {
    ...counted(
      latencies,
      sum((s) => s.countedS),
    ),
    totalRequests: sum((s) => s.totalRequests),
    failures: sum((s) => s.failures),
    statusCodes,
  };
}

/** The counted responses' throughput and percentiles: sorted latencies over counted seconds. */
function counted(sorted: Float64Array, countedS: number) {
  return {
    rps: round(sorted.length / Math.max(countedS, 0.001), 0),
    p50Ms: round(percentile(sorted, 0.5), 2),
    p99Ms: round(percentile(sorted, 0.99), 2),
    requests: sorted.length,
  };
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
