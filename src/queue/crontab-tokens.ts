/**
 * The words of a crontab line, split at whitespace. A part in single quotes is taken as it is,
 * spaces and all, without its quotes (`--args '{"to": "ops team"}'`); double quotes are kept, as
 * JSON needs them (`--args "world"` is the JSON string "world").
 */
export function tokenize(line: string): string[] {
  const tokens: string[] = [];
  let current: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error('a single quote is not closed');
      current = (current ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (/\s/.test(c)) {
      if (current !== null) tokens.push(current);
      current = null;
    } else {
      current = (current ?? '') + c;
    }
  }
  if (current !== null) tokens.push(current);
  return tokens;
}
