import { spawn } from 'node:child_process';
import { KitaruUsageError } from '../../errors.js';
import { startUiServer } from '../../ui/server.js';
import type { CommandResult, JsonDocument } from '../command-result.js';
import { type CliIO, storeOf } from '../io.js';
import { cancelExecutionsOn, type Interrupts, signalExitCode } from '../signals.js';

/** Options of `kitaru ui`. */
export interface UiCommandOptions {
  port: string;
  host: string;
  open?: boolean;
}

/** Opens `url` in the desktop's browser, if there is one; says so if not. */
function openBrowser(url: string, io: CliIO): void {
  const command =
    process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(command, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => io.err(`could not open a browser (${command}); open ${url} yourself.`));
  child.unref();
}

/**
 * `kitaru ui`: serves the page over the store until SIGINT/SIGTERM. Its `--json` document (the
 * URL) is handed to `announce` as soon as the server listens, not at the end: it runs until stopped.
 */
export async function uiCommand(
  io: CliIO,
  options: UiCommandOptions,
  listen: () => Interrupts,
  announce: (document: JsonDocument) => void,
): Promise<CommandResult> {
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new KitaruUsageError(`--port takes a port number (0 for any free one), got "${options.port}".`);
  }
  const store = storeOf(io);
  // Replays started from the page run in this process: a signal cancels them, as in `kitaru run`.
  const stopped = cancelExecutionsOn(listen());
  let server: Awaited<ReturnType<typeof startUiServer>>;
  try {
    server = await startUiServer({
      store,
      port,
      host: options.host,
      onWarning: (m) => io.err(io.color.yellow(`warning: ${m}`)),
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new KitaruUsageError(
        `port ${port} is in use; choose another with --port <n> (0 for any free port).`,
      );
    }
    throw err;
  }
  if (io.json) announce({ url: server.url, store: store.location });
  else io.out(`kitaru ui: ${server.url}  (store ${store.location}; Ctrl-C to stop)`);
  if (options.open) openBrowser(server.url, io);
  const signal = await stopped;
  await server.close();
  await store.close?.();
  return { exitCode: signalExitCode(signal) };
}
