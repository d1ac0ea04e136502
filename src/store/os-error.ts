import { KitaruStoreError } from '../errors.js';

/**
 * A failure of the operating system while touching the store (`EACCES`, `EROFS`, `ENOSPC`,
 * `ENOTDIR`, ...) as a `KitaruStoreError` naming the path and the OS code, the cause kept.
 */
export function osError(action: string, path: string, err: unknown): KitaruStoreError {
  if ((err as { name?: string }).name === 'KitaruStoreError') return err as KitaruStoreError;
  const e = err as NodeJS.ErrnoException;
  const code = e.code ? `${e.code}: ` : '';
  const reason = String(e.message ?? err)
    .replace(/^[A-Z]+: /, '')
    .replace(/, \w+ '.*$/, '');
  return new KitaruStoreError(`cannot ${action} ${path}: ${code}${reason}${hint(e.code)}`, { cause: err });
}

function hint(code: string | undefined): string {
  switch (code) {
    case 'ENOSPC':
      return '. Free some space on that disk, or point --dir (KITARU_DIR) at another folder.';
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return '. Make the store folder writable, or point --dir (KITARU_DIR) at a folder you can write.';
    case 'ENOTDIR':
      return '. A file stands where the store expects a folder: point --dir (KITARU_DIR) at a folder.';
    default:
      return '';
  }
}
