import fs from 'node:fs';
import path from 'node:path';

/**
 * Where a run's JSON goes when `--out` is not given: `<dir>/<stem>.json` for the day's
 * first run, then `<stem>-2.json`, `<stem>-3.json`…, so a quick profiled or one-path run
 * never replaces the day's full results.
 */
export function unusedResultFile(dir: string, stem: string): string {
  for (let n = 1; ; n++) {
    const file = path.join(dir, n === 1 ? `${stem}.json` : `${stem}-${n}.json`);
    if (!fs.existsSync(file)) return file;
  }
}
