import { readFileSync } from 'node:fs';
import type { Adapter } from 'lowdb';
import { writeFileAtomicSync } from '../atomic-write.js';
import type { ExecutionRecord } from '../types.js';
import { parseExecution } from './validate.js';

/** lowdb adapter for `execution.json`: validated reads, atomic writes (never lowdb's presets). */
export function createExecutionAdapter(file: string): Adapter<ExecutionRecord> {
  return {
    async read() {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
      return parseExecution(file, text);
    },
    async write(data) {
      writeFileAtomicSync(file, `${JSON.stringify(data, null, 2)}\n`);
    },
  };
}
