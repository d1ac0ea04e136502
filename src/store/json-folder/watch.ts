import { type FSWatcher, watch } from 'node:fs';

/**
 * Resolves once something in an execution's folder changes (its summary renamed into place, a
 * journal line appended), or after `ms` at the latest: `fs.watch` where the platform offers it,
 * else (a missing folder, no watcher left) the timer alone, a slow poll.
 */
export function folderChanged(dir: string, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    let watcher: FSWatcher | undefined;
    const done = () => {
      clearTimeout(timer);
      watcher?.close();
      resolve();
    };
    const timer = setTimeout(done, ms);
    try {
      watcher = watch(dir, { persistent: false }, done);
      watcher.on('error', () => watcher?.close());
    } catch {} // no watcher: the timer wakes the waiter
  });
}
