import { combineLoads, type LoadSample } from './load.js';

const sample = (latencies: number[], countedS: number, extra: Partial<LoadSample> = {}) =>
  ({
    rps: Math.round(latencies.length / countedS),
    p50Ms: Number.NaN,
    p99Ms: Number.NaN,
    requests: latencies.length,
    totalRequests: latencies.length + 5,
    failures: 0,
    statusCodes: { '200': latencies.length + 5 },
    latenciesMs: Float64Array.from(latencies).sort(),
    countedS,
    ...extra,
  }) satisfies LoadSample;

describe('slices of one target, combined', () => {
  it('counts requests over the seconds they were counted in, not an average of the rates', () => {
    // 300 requests in 1 s, then 100 in 1 s: 200 req/s, not the mean of 300 and 100 either way.
    const slow = Array.from({ length: 100 }, () => 10);
    const fast = Array.from({ length: 300 }, () => 1);
    const combined = combineLoads([sample(fast, 1), sample(slow, 1)]);
    expect(combined.rps).toBe(200);
    expect(combined.requests).toBe(400);
    expect(combined.totalRequests).toBe(410);
    expect(combined.statusCodes).toEqual({ '200': 410 });
  });

  it('takes percentiles over every latency together', () => {
    // 99 fast responses in one slice and one slow one in the other: the p99 is the fast
    // one's (the 99th of 100), the p50 too; a slice's own p99 would say 50 ms.
    const combined = combineLoads([
      sample(
        Array.from({ length: 99 }, () => 2),
        1,
      ),
      sample([50], 1),
    ]);
    expect(combined.p50Ms).toBe(2);
    expect(combined.p99Ms).toBe(2);
    const slower = combineLoads([
      sample(
        Array.from({ length: 98 }, () => 2),
        1,
      ),
      sample([40, 50], 1),
    ]);
    expect(slower.p99Ms).toBe(40);
  });

  it('adds up failures, so one failed slice fails the run', () => {
    const combined = combineLoads([
      sample([1, 2], 1),
      sample([1], 1, { failures: 3, statusCodes: { '200': 6, '503': 3 } }),
    ]);
    expect(combined.failures).toBe(3);
    expect(combined.statusCodes).toEqual({ '200': 13, '503': 3 });
  });
});
