/**
 * Aligned tables for the CLI's listings. Apart from output.ts because measuring a name's columns loads
 * the East Asian Width data (display-width.ts, five files), which a command that prints no table, such
 * as `term`, should not pay for at start-up.
 */
import { escapeControlChars } from '../core/names.js';
import { displayWidth, padToWidth } from './display-width.js';

/**
 * Renders rows as columns separated by two spaces, padded to the widest cell. Cells carry names other
 * nodes chose: control characters are shown escaped, never sent to the terminal.
 */
export function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows.map((r) => r.map(escapeControlChars))];
  // In columns, not UTF-16 units: a name in CJK, or with combining accents, still lines up.
  const widths = header.map((_, i) => Math.max(...all.map((r) => displayWidth(r[i] ?? ''))));
  return all
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : padToWidth(cell, widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
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
