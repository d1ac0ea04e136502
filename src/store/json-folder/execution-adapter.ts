import { readFileSync } from 'node:fs';
import type { Adapter } from 'lowdb';
import { writeFileAtomicSync } from '../atomic-write.js';
import { osError } from '../os-error.js';
import type { ExecutionRecord } from '../types.js';
import { parseExecution } from './validate.js';

/**
 * lowdb adapter for `execution.json` of execution `id`: validated reads (the document must be
 * that execution's), atomic writes through `tmpDir` (never lowdb's presets).
 */
export function createExecutionAdapter(file: string, id: string, tmpDir: string): Adapter<ExecutionRecord> {
  return {
    async read() {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw osError('read store file', file, err);
      }
      return parseExecution(file, text, id);
    },
    async write(data) {
      writeFileAtomicSync(file, `${JSON.stringify(data, null, 2)}\n`, undefined, tmpDir);
    },
  };
}
