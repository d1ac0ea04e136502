/** The `--json` document of a command, without its `command` field (the program adds it). */
export type JsonDocument = Record<string, unknown>;

/**
 * What a command hands back: its exit code and, with `--json`, its one document. The program
 * prints the document and turns the code into the process' exit status.
 */
export interface CommandResult {
  exitCode: number;
  /** Printed on stdout as `{"command": <name>, ...document}`, with `--json` only. */
  document?: JsonDocument;
}
