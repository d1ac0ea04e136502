// Preloaded into a benchmarked process: writes its peak RSS (bytes) to $KITARU_BENCH_RSS at exit.
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  if (process.env.KITARU_BENCH_RSS)
    writeFileSync(process.env.KITARU_BENCH_RSS, String(process.resourceUsage().maxRSS * 1024));
});
