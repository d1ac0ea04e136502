import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { KitaruStoreError } from '../../errors.js';
import { writeAndSync } from '../atomic-write.js';

/** A file's text, or null if it does not exist; any other failure names the file. */
export function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new KitaruStoreError(`cannot read store file ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** A folder's entries, or none if it does not exist. */
export function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new KitaruStoreError(`cannot read store folder ${dir}: ${(err as Error).message}`, { cause: err });
  }
}

/** Appends `text`, fsyncing the file when `durable`. */
export function appendDurably(file: string, text: string, durable: boolean): void {
  if (durable) writeAndSync(file, 'a', text);
  else appendFileSync(file, text);
}
