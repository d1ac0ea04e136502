// kitaru's public entry. Bundled, its code moves into a chunk this file loads now, before the
// loader registers tsx's hooks, and dist/index.js is left re-exporting it: a flow's
// `import 'kitaru'` then loads only that small file through the hooks. With the code in
// dist/index.js, tsx rewrote it (its dynamic imports) and gave it a source map, which Node parsed
// at the first stack trace (every checkpoint() takes one): about 40 ms of CPU at each start.
import '../index.js';
import { runCli } from './program.js';

/**
 * Ends the process once stdout and stderr have flushed: a large --json document written to a
 * pipe is still in flight when the command returns, and process.exit() would cut it short.
 * Exiting (rather than waiting for the loop to empty) matters because a run may leave user timers
 * or sockets behind.
 */
function exitWhenFlushed(code: number): void {
  process.exitCode = code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

// The one place that ends the process.
runCli(process.argv).then(exitWhenFlushed, (err) => {
  process.stderr.write(`kitaru: internal error: ${(err as Error)?.stack ?? err}\n`);
  exitWhenFlushed(2);
});
