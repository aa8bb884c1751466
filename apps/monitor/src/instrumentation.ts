// The process's first module: `node --import ./dist/instrumentation.js dist/main.js` loads
// it before main.js and everything main.js imports, so OpenTelemetry's instrumentations
// are in place when the modules they patch are loaded (see @citadel/observability).
import '@citadel/observability/register';
import { initTracing, tracingEnvOf } from '@citadel/observability';

initTracing('monitor', tracingEnvOf(process.env));
