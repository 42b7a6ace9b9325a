// Preloaded into every test-file process by scripts/run-tests.mjs: at exit, appends the CPU time of
// this process and of the child processes it waited for (the CLI runs it spawned, GDAL tools,
// servers it started and stopped) to the file named by GEODVC_TEST_CPU_LOG, one JSON line per
// process, read from /proc/self/stat (Linux; elsewhere nothing is written). run-tests prints the
// files that cost the most CPU: on a 2-core machine the suite is CPU-bound, so CPU, not wall time,
// says where the minutes go.
import { appendFileSync, readFileSync } from 'node:fs';

const log = process.env.GEODVC_TEST_CPU_LOG;
if (log) {
  process.on('exit', () => {
    try {
      const stat = readFileSync('/proc/self/stat', 'utf8');
      // fields after the ")" that closes the command name: state is field 3; utime..cstime are 14-17
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const [utime, stime, cutime, cstime] = [f[11], f[12], f[13], f[14]].map(Number);
      const file = process.argv[1] ?? '';
      appendFileSync(log, `${JSON.stringify({ file, self: (utime + stime) / 100, children: (cutime + cstime) / 100 })}\n`);
    } catch { /* not Linux, or the log is gone: no record */ }
  });
}
