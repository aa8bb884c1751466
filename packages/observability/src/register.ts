import { register as registerLoaderThread } from 'node:module';
import { register, supportsSyncHooks } from 'import-in-the-middle/register-hooks.mjs';

/**
 * Citadel is native ESM: OpenTelemetry patches an ES module through a loader hook
 * (import-in-the-middle), which must be in place before the modules it patches are loaded
 * (OpenTelemetry JS, doc/esm-support.md). Each service's `instrumentation.ts` imports this
 * first, and is itself loaded with `node --import`, before `main.js` and everything it
 * imports. CommonJS modules (grpc-js as Nest loads it, pg, ioredis, http) are patched
 * through require hooks, set when the instrumentations are enabled.
 *
 * Where Node runs loader hooks on the application thread (`module.registerHooks`, with
 * the fix import-in-the-middle needs: Node 22.22.3, 24.11.1, 26), the hooks are registered
 * so; `module.register`, the loader-thread API, is deprecated there (DEP0205) and is used
 * only on older releases of the supported lines.
 */
if (supportsSyncHooks()) register();
else registerLoaderThread('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
