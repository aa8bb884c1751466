import { executionAsyncResource } from 'node:async_hooks';

/** One of Node's `process.nextTick` records, kept for the life of the process. */
let pinned: object | undefined;

/**
 * Keeps one `process.nextTick` record alive for good, so that V8 keeps the hidden class
 * (map) its records share, and `nextTick` stays on its fast path.
 *
 * Node 20 builds each record with an object literal whose first keys are computed
 * (`{ [async_id_symbol]: id, [trigger_async_id_symbol]: trigger, callback, args }`). Such
 * a literal has no boilerplate to hold its maps: they hang off the plain-object root map by
 * weak transitions, alive only while some record is. A full GC that finds no record alive
 * (a quiet moment between requests, or at boot) clears them, and the next record builds
 * new ones. The literal's inline caches see one more map each time; after four they go
 * megamorphic, for the rest of the process's life. From then on every `nextTick` takes
 * the generic path: ~190 ns instead of ~25 ns here. A service calls it some twenty times
 * per request, so a process that fell into this spent 4 to 5% of its CPU in `nextTick`,
 * and which processes fell into it was luck (bench/README.md tells how it was found).
 *
 * Imported first by every service, through `@citadel/config/v8-flags`, so the record is
 * pinned before the first full GC. Idempotent.
 */
export function pinTickObjectShape(): void {
  if (pinned) return;
  // Inside a tick's callback, the execution resource is that tick's record.
  process.nextTick(() => {
    pinned ??= executionAsyncResource();
  });
}
