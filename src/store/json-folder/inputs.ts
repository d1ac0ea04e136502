import { linkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';
import { KitaruStoreError } from '../../errors.js';
import { fsyncWanted, syncDir, tempName, writeAndSync } from '../atomic-write.js';
import { osError } from '../os-error.js';
import { inputSchema } from '../record-schemas.js';
import type { InputRecord } from '../types.js';
import { ensureDir, listDir, readText } from './fs-helpers.js';

const SAFE = /^[\w.-]+$/;

/** `<wait-id>.json`, the id escaped if it has characters unsafe in a file name. */
function inputFileName(waitId: string): string {
  return `${SAFE.test(waitId) ? waitId : encodeURIComponent(waitId)}.json`;
}

function parseInput(file: string): InputRecord | null {
  const text = readText(file);
  if (text === null) return null;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    throw new KitaruStoreError(`corrupt store file ${file}: not valid JSON. Move it away and retry.`, {
      cause,
    });
  }
  const result = v.safeParse(inputSchema, doc);
  if (!result.success) {
    throw new KitaruStoreError(
      `corrupt store file ${file}: not an answer to a wait. Move it away and retry.`,
    );
  }
  return result.output;
}

/**
 * Answers to waits, one file each in `executions/<id>/inputs/`. A file is written whole to a temp
 * name and then hard-linked to its place: the link fails if the place is taken, so between any
 * number of processes the first answer wins, and nobody ever reads half an answer.
 */
export function createInputFiles(inputsDir: (execId: string) => string, tmpDir: string) {
  return {
    add(execId: string, input: InputRecord): InputRecord | null {
      const dir = inputsDir(execId);
      ensureDir(dir);
      const file = join(dir, inputFileName(input.waitId));
      const tmp = join(tmpDir, tempName());
      const durable = fsyncWanted();
      try {
        if (durable) writeAndSync(tmp, 'w', JSON.stringify(input));
        else writeFileSync(tmp, JSON.stringify(input));
        linkSync(tmp, file);
        if (durable) syncDir(dir);
        return null;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') return parseInput(file) ?? input;
        throw osError('write store file', file, err);
      } finally {
        rmSync(tmp, { force: true });
      }
    },
    list(execId: string): InputRecord[] {
      const dir = inputsDir(execId);
      const out: InputRecord[] = [];
      for (const name of listDir(dir)) {
        if (!name.endsWith('.json')) continue;
        const input = parseInput(join(dir, name));
        if (input) out.push(input);
      }
      return out;
    },
    drop(execId: string, waitId: string): void {
      rmSync(join(inputsDir(execId), inputFileName(waitId)), { force: true });
    },
  };
}
