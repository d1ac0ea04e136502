import { join } from 'node:path';

/** Digits of the zero-padded call position in a call file name. */
const SEQ_WIDTH = 6;

const SAFE = /^[\w.-]+$/;

/** `<seq>-<call-id>.json`, the call id escaped if it has characters unsafe in a file name. */
function callFileName(seq: number, callId: string): string {
  return `${String(seq).padStart(SEQ_WIDTH, '0')}-${SAFE.test(callId) ? callId : encodeURIComponent(callId)}.json`;
}

/** Paths inside a `.kitaru/` folder (see the store format in docs/store-format.md). */
export function createLayout(root: string) {
  const executions = join(root, 'executions');
  const execDir = (id: string) => join(executions, id);
  return {
    root,
    executions,
    /** Temp files of atomic writes, swept of dead writers' leftovers. */
    tmpDir: join(root, 'tmp'),
    /** Creation times of the executions whose id does not carry its time (creation-index.ts). */
    createdFile: join(root, 'created.jsonl'),
    execDir,
    execFile: (id: string) => join(execDir(id), 'execution.json'),
    journalFile: (id: string) => join(execDir(id), 'journal.jsonl'),
    callsDir: (id: string) => join(execDir(id), 'checkpoints'),
    callFileName,
    callFile: (id: string, seq: number, callId: string) =>
      join(execDir(id), 'checkpoints', callFileName(seq, callId)),
    refsFile: (id: string) => join(execDir(id), 'reused.jsonl'),
    indexFile: (id: string) => join(execDir(id), 'calls.jsonl'),
    logsFile: (id: string) => join(execDir(id), 'logs.jsonl'),
    inputsDir: (id: string) => join(execDir(id), 'inputs'),
  };
}
