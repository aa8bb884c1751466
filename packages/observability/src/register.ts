import { register } from 'node:module';

/**
 * Citadel is native ESM: OpenTelemetry patches an ES module through a loader hook
 * (import-in-the-middle), which must be registered before the modules it patches are
 * loaded (OpenTelemetry JS, doc/esm-support.md). Each service's `instrumentation.ts`
 * imports this first, and is itself loaded with `node --import`, before `main.js` and
 * everything it imports. CommonJS modules (grpc-js as Nest loads it, pg, ioredis, http)
 * are patched through require hooks, set when the instrumentations are enabled.
 */
register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
