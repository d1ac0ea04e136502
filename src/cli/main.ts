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

// kitaru's public entry, loaded before the loader registers tsx's hooks: a flow's `import 'kitaru'`
// then finds it loaded (one resolve through the hooks). Loaded after, through them, tsx rewrote it
// (its dynamic imports) and gave it a source map, which Node parsed at the first stack trace
// (every checkpoint() takes one): about 40 ms of CPU at each start.
await import('../index.js');

// The one place that ends the process.
runCli(process.argv).then(exitWhenFlushed, (err) => {
  process.stderr.write(`kitaru: internal error: ${(err as Error)?.stack ?? err}\n`);
  exitWhenFlushed(2);
});
