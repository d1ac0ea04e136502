import { runCli } from './program.js';

// The one place that ends the process: a run may leave user timers or sockets behind.
runCli(process.argv).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`kitaru: internal error: ${(err as Error)?.stack ?? err}\n`);
    process.exit(2);
  },
);
