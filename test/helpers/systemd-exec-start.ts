/**
 * A unit's ExecStart= line split into the argument vector systemd runs (systemd.service(5) §Command
 * lines, systemd.unit(5) §Specifiers): `%%` is one `%` (any other specifier is refused: the units
 * under test write none), words are split at whitespace with double- or single-quoted parts and C
 * escapes inside and outside quotes, then `$$` is one `$` (a variable is refused, for the same reason).
 * Where no systemd manager can run, a test runs the line as this says systemd would.
 */

const C_ESCAPES: Readonly<Record<string, string>> = {
  a: '\u0007',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  s: ' ',
  '\\': '\\',
  '"': '"',
  "'": "'",
};

function specifiers(line: string): string {
  return line.replace(/%(.)/g, (_, c: string) => {
    if (c === '%') return '%';
    throw new Error(`specifier %${c} in the line: the test's parser knows only %%`);
  });
}

function variables(word: string): string {
  return word.replace(/\$(\$|\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*)/g, (_, v: string) => {
    if (v === '$') return '$';
    throw new Error(`variable $${v} in the line: the test's parser knows only $$`);
  });
}

/** The words of a unit's `ExecStart=` value, as systemd runs them. */
export function execStartArgv(value: string): string[] {
  const line = specifiers(value);
  const words: string[] = [];
  let i = 0;
  const space = (c: string | undefined) => c === ' ' || c === '\t';
  while (i < line.length) {
    while (space(line[i])) i++;
    if (i >= line.length) break;
    let word = '';
    let quote: string | null = null;
    while (i < line.length && (quote !== null || !space(line[i]))) {
      const c = line[i]!;
      if (c === '\\') {
        const next = line[i + 1];
        if (next === undefined) throw new Error('a backslash ends the line');
        if (next === 'x') {
          word += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
          i += 4;
          continue;
        }
        const escaped = C_ESCAPES[next];
        if (escaped === undefined) throw new Error(`unknown escape \\${next}`);
        word += escaped;
        i += 2;
        continue;
      }
      if (quote === null && (c === '"' || c === "'")) quote = c;
      else if (quote !== null && c === quote) quote = null;
      else word += c;
      i++;
    }
    if (quote !== null) throw new Error('an unterminated quote');
    words.push(variables(word));
  }
  return words;
}

/** The value of `key=` in a unit's text (the last one given, as systemd reads it). */
export function unitValue(unit: string, key: string): string | undefined {
  const lines = unit.split('\n').filter((l) => l.startsWith(`${key}=`));
  return lines.at(-1)?.slice(key.length + 1);
}
