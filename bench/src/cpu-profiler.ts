// Preloaded into each service by `npm run bench -- --cpu-prof DIR` (through NODE_OPTIONS,
// which refuses `--cpu-prof` itself): profiles the process from start to exit and writes
// `<DIR>/<service>-<pid>.cpuprofile`, to open in Chrome DevTools or speedscope.
import fs from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

const dir = process.env.BENCH_CPU_PROF_DIR;
if (dir) {
  const service = path.basename(path.dirname(path.dirname(process.argv[1] ?? 'unknown')));
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  session.post('Profiler.start');
  // The in-process inspector answers synchronously, so this works inside 'exit'. Written
  // as soon as the launcher asks the service to stop, in case it is killed after the grace.
  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    session.post('Profiler.stop', (error, result) => {
      if (error) return;
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(
        path.join(dir, `${service}-${process.pid}.cpuprofile`),
        JSON.stringify(result.profile),
      );
    });
  };
  process.once('SIGTERM', write);
  process.once('disconnect', write);
  process.on('exit', write);
}
