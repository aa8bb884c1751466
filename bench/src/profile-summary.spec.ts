import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { summarizeProfile } from './profile-summary.js';

const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({
  id,
  callFrame: { functionName, url },
  children,
});

// root ─┬─ fastify route ── gateway traceOf
//       ├─ (garbage collector)
//       ├─ (idle)
//       └─ callbackTrampoline ── http2 request
const PROFILE = {
  nodes: [
    frame(1, '(root)', '', [2, 4, 5, 6]),
    frame(2, 'routeHandler', 'file:///repo/node_modules/fastify/lib/route.js', [3]),
    frame(3, 'traceOf', 'file:///repo/apps/gateway/dist/trace.js'),
    frame(4, '(garbage collector)', ''),
    frame(5, '(idle)', ''),
    frame(6, 'callbackTrampoline', 'node:internal/async_hooks', [7]),
    frame(7, 'request', 'node:internal/http2/core'),
  ],
  startTime: 1_000,
  // One sample every 100 µs: at 1,100 … 1,800.
  samples: [3, 3, 2, 4, 5, 5, 7, 3],
  timeDeltas: [100, 100, 100, 100, 100, 100, 100, 100],
};

describe('summarizeProfile', () => {
  let file: string;
  beforeAll(() => {
    file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-profile-')), 'p.cpuprofile');
    fs.writeFileSync(file, JSON.stringify(PROFILE));
  });
  afterAll(() => fs.rmSync(path.dirname(file), { recursive: true, force: true }));

  it('charges the busy samples inside the windows to their own and their callers’ layers', () => {
    // The last sample (1,800) is outside the window; the two idle ones are not busy.
    const summary = summarizeProfile(file, [{ start: 1_100, end: 1_700 }]);
    expect(summary.busySamples).toBe(5);
    const byLayer = Object.fromEntries(summary.layers.map((l) => [l.layer, l]));
    expect(byLayer['citadel: apps/gateway']).toEqual({
      layer: 'citadel: apps/gateway',
      onStackPct: 40,
      selfPct: 40,
    });
    // Fastify's own frame ran once; it was on the stack of its callee's two samples too.
    expect(byLayer['fastify']).toEqual({ layer: 'fastify', onStackPct: 60, selfPct: 20 });
    expect(byLayer['garbage collector']?.selfPct).toBe(20);
    expect(byLayer['node: http2']?.selfPct).toBe(20);
    // Node's callback entry point is the event loop, not async_hooks work.
    expect(byLayer['node: async_hooks']).toBeUndefined();
    expect(summary.layers.reduce((sum, l) => sum + l.selfPct, 0)).toBe(100);
  });

  it('counts nothing outside the windows', () => {
    expect(summarizeProfile(file, [{ start: 5_000, end: 6_000 }])).toEqual({
      busySamples: 0,
      layers: [],
    });
  });
});
