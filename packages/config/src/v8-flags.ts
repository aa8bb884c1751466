import v8 from 'node:v8';
import { pinTickObjectShape } from './tick-shape.js';

/**
 * The V8 settings every Citadel service runs with. Each entry point imports this module
 * first, so they hold before anything else is loaded or allocated. It also pins the shape
 * of `process.nextTick`'s records ({@link pinTickObjectShape}).
 *
 * `--no-allocation-site-pretenuring`: V8 watches each allocation site (an object or
 * array literal) and, once most of its objects have survived a young-generation GC,
 * allocates that site's objects directly in the old generation from then on. A service
 * boots and warms up slowly, so per-request objects can look long-lived for a few GCs;
 * V8 never revisits the decision. From then on each such object is born old, and every
 * young request object it points at (the request, its response, its gRPC call) survives
 * each young GC until the next full one. Whether a boot falls into this is luck, and the
 * luck lasts for the boot's lifetime. The gateway's read path, measured (bench/README.md):
 * ~2 MB promoted per young GC with pretenuring, ~40 KB without, and pauses of ~7 against
 * ~2.3 ms.
 */
export const SERVICE_V8_FLAGS = ['--no-allocation-site-pretenuring'] as const;

for (const flag of SERVICE_V8_FLAGS) v8.setFlagsFromString(flag);
pinTickObjectShape();
