/**
 * Aligned tables for the CLI's listings. Apart from output.ts because measuring a name's columns loads
 * the East Asian Width data (display-width.ts, five files), which a command that prints no table, such
 * as `term`, should not pay for at start-up.
 */
import { escapeControlChars } from '../core/names.js';
import { displayWidth, padToWidth } from './display-width.js';
import { fitBlocksWith } from './output.js';

/**
 * Renders rows as columns separated by two spaces, padded to the widest cell. Cells carry names other
 * nodes chose: control characters are shown escaped, never sent to the terminal.
 */
export function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows.map((r) => r.map(escapeControlChars))];
  // In columns, not UTF-16 units: a name in CJK, or with combining accents, still lines up.
  const widths = header.map((_, i) => Math.max(...all.map((r) => displayWidth(r[i] ?? ''))));
  const lines = all.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : padToWidth(cell, widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
  if (fit) for (const line of lines) fit.rows.add(line);
  return lines.join('\n');
}

/** What ends a cut line: ASCII, as everything the CLI prints of its own. */
const CUT_MARK = '...';

/**
 * `line` cut to `columns` terminal columns, ending in `...` when cut: a row of `peers` whose reason is
 * long stays one line on the terminal (`--wide` and `--json` give the whole text).
 */
export function cutToWidth(line: string, columns: number): string {
  if (columns <= CUT_MARK.length || displayWidth(line) <= columns) return line;
  let out = '';
  let width = 0;
  for (const ch of line) {
    const w = displayWidth(ch);
    if (width + w > columns - CUT_MARK.length) break;
    out += ch;
    width += w;
  }
  return `${out}${CUT_MARK}`;
}

/**
 * While a listing fits the terminal (fitTablesTo): its columns, what shows the rows whole, and the
 * rows table() drew, which are what gets cut — a hint or a heading line printed beside them is a
 * command to paste or a name, never cut.
 */
let fit: { columns: number; whole: string; rows: Set<string> } | undefined;

/**
 * From now on, every row table() draws is cut to `columns` when printBlock prints it, indented or not
 * (`group ls` indents its tables under each group), with a last line saying that `whole` (`--wide or
 * --json`) shows them whole. For the listings whose last column is prose (fitted-listings.ts).
 */
export function fitTablesTo(columns: number, whole: string): void {
  fit = { columns, whole, rows: new Set() };
  const current = fit;
  fitBlocksWith((text) => cutRows(text, current.rows, current.columns, current.whole));
}

/**
 * `text` with each line that is one of `rows` (after its indent) cut to `columns`, and, when any was,
 * a last line saying that `whole` shows the whole text. Pure.
 */
export function cutRows(text: string, rows: ReadonlySet<string>, columns: number, whole: string): string {
  const lines = text.split('\n');
  const cut = lines.map((l) => (rows.has(l.trimStart()) ? cutToWidth(l, columns) : l));
  if (cut.every((l, i) => l === lines[i])) return text;
  return [...cut, cutToWidth(`(cut to the terminal: ${whole} shows the whole text)`, columns)].join('\n');
}
