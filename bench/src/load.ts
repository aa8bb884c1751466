import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  ca: Buffer;
  requests: autocannon.Request[];
  connections: number;
  durationS: number;
}

export interface LoadResult {
  /** Successful (2xx) responses per second over the whole run. */
  rps: number;
  /** Latency percentiles of the 2xx responses, in ms, at 0.01 ms resolution. */
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Anything but a 2xx: responses, errors and timeouts. A bench of refusals is no bench. */
  failures: number;
  statusCodes: Record<string, number>;
}

/**
 * One autocannon run over HTTPS with keep-alive (autocannon keeps its connections open).
 * Latencies are collected per response at microsecond resolution: autocannon's own
 * histogram rounds to whole milliseconds, too coarse for a 1 ms budget.
 */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
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
        resolve({
          rps: round(latencies.length / result.duration, 0),
          p50Ms: round(percentile(sorted, 0.5), 2),
          p99Ms: round(percentile(sorted, 0.99), 2),
          requests: latencies.length,
          failures: result.non2xx + result.errors + result.timeouts,
          statusCodes,
        });
      },
    );
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status >= 200 && status < 300) latencies.push(ms);
    });
  });
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
