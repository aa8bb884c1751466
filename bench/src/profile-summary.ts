import fs from 'node:fs';

/** A V8 CPU profile, as `Profiler.stop` returns it (and DevTools opens). */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[];
  /** µs, on the monotonic clock `process.hrtime` reads too. */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface LayerShare {
  layer: string;
  /** Share of the busy samples with this layer anywhere on the stack. */
  onStackPct: number;
  /** Share of the busy samples spent in this layer's own code. */
  selfPct: number;
}

export interface ProfileSummary {
  /** Samples inside the measured windows that were not idle. */
  busySamples: number;
  layers: LayerShare[];
}

/** A measured run's span, in µs on the monotonic clock. */
export interface Window {
  start: number;
  end: number;
}

/** Now, in µs on the clock V8's profiler stamps its samples with. */
export const monotonicMicros = (): number => Number(process.hrtime.bigint() / 1000n);

/**
 * Where a process spent its CPU while the load ran: each busy sample inside `windows`,
 * attributed to the layers on its stack (an npm package, a Citadel workspace, a Node.js
 * subsystem, the garbage collector). Start-up and the other system's turns are left out.
 * "Own code" (the leaf frame's layer) adds up to 100%; "on the stack" says what a layer's
 * calls cost in all, what it called included.
 */
export function summarizeProfile(file: string, windows: Window[], top = 14): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parentOf.set(child, node.id);

  const hits = new Map<number, number>();
  let time = profile.startTime;
  profile.samples.forEach((id, i) => {
    time += profile.timeDeltas[i] ?? 0;
    if (windows.some((w) => time >= w.start && time <= w.end))
      hits.set(id, (hits.get(id) ?? 0) + 1);
  });

  const onStack = new Map<string, number>();
  const self = new Map<string, number>();
  let busy = 0;
  for (const [id, count] of hits) {
    const leaf = byId.get(id)!;
    if (leaf.callFrame.functionName === '(idle)') continue;
    busy += count;
    const leafLayer = layerOf(leaf.callFrame);
    self.set(leafLayer, (self.get(leafLayer) ?? 0) + count);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const layer = layerOf(byId.get(at)!.callFrame);
      if (seen.has(layer)) continue;
      seen.add(layer);
      onStack.set(layer, (onStack.get(layer) ?? 0) + count);
    }
  }
  const pct = (count: number | undefined) =>
    busy ? Math.round((1000 * (count ?? 0)) / busy) / 10 : 0;
  const layers = [...new Set([...onStack.keys(), ...self.keys()])]
    .filter((layer) => layer !== '(root)' && layer !== 'node: event loop')
    .map((layer) => ({ layer, onStackPct: pct(onStack.get(layer)), selfPct: pct(self.get(layer)) }))
    .sort((a, b) => b.selfPct - a.selfPct || b.onStackPct - a.onStackPct)
    .slice(0, top);
  return { busySamples: busy, layers };
}

/** `node_modules/@nestjs/core/…` → `@nestjs/core`; `…/packages/auth/dist/…` → `citadel: packages/auth`. */
function layerOf(frame: { functionName: string; url: string }): string {
  const { url, functionName } = frame;
  // Node's entry point for every native callback, not async_hooks work.
  if (functionName === 'callbackTrampoline') return 'node: event loop';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const workspace = /\/((?:apps|packages)\/[^/]+)\//.exec(url);
  if (workspace) return `citadel: ${workspace[1]}`;
  if (url.startsWith('node:')) return `node: ${nodeSubsystem(url.slice(5))}`;
  if (functionName === '(garbage collector)') return 'garbage collector';
  if (functionName === '(program)') return 'V8 / native (program)';
  if (functionName === '(root)') return '(root)';
  return 'native (syscalls, crypto, V8 builtins)';
}

function nodeSubsystem(module: string): string {
  if (/http2/.test(module)) return 'http2';
  if (/_http_|internal\/http/.test(module)) return 'http/1.1';
  if (/tls|crypto/.test(module)) return 'tls/crypto';
  if (/async_hooks|async_local/.test(module)) return 'async_hooks';
  if (/process\/task_queues|timers/.test(module)) return 'event loop';
  if (/streams|stream_base|net$|\/net|^net/.test(module)) return 'streams/net';
  return module.replace(/^internal\//, '');
}
