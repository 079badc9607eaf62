/**
 * The README's code blocks as the tour test reads them (test/integration/readme-tour.test.ts).
 *
 * Conventions, which README.md states in its tour section:
 * - a ```sh block is part of the tour: the blocks run in order, as written, in one shell; a ```sh block
 *   whose first line is `# not run by the tour test` (installing, linking) is skipped;
 * - a ```text block that follows a ```sh block with nothing but blank lines between is what that block
 *   prints on stdout: each of its non-blank lines must match a different line the block printed, in any
 *   order (background jobs print when they do); runs of spaces match any run of spaces, and `<…>` (any
 *   text between angle brackets) matches any text within the line;
 * - every other fence language (console, text elsewhere, none) is prose to the test.
 */

/** The first line of a ```sh block that the tour test does not run. */
export const NOT_RUN_MARK = '# not run by the tour test';

export interface TourBlock {
  /** 1-based line of the opening fence in README.md, for messages. */
  line: number;
  script: string;
  /** The ```text block right after it, if any. */
  expected: string | undefined;
}

interface Fence {
  lang: string;
  body: string;
  line: number;
  /** Index just past the closing fence. */
  end: number;
  start: number;
}

/** Every fenced block of a Markdown text, in order. */
function fences(markdown: string): Fence[] {
  const out: Fence[] = [];
  const re = /^```([\w-]*)[^\n]*\n([\s\S]*?)^```[ \t]*$/gm;
  for (let m = re.exec(markdown); m; m = re.exec(markdown)) {
    out.push({
      lang: m[1]!,
      body: m[2]!,
      line: markdown.slice(0, m.index).split('\n').length,
      start: m.index,
      end: m.index + m[0].length,
    });
  }
  return out;
}

/** The tour's runnable blocks, in README order, each with the output the README shows under it. */
export function tourBlocks(markdown: string): TourBlock[] {
  const all = fences(markdown);
  const blocks: TourBlock[] = [];
  all.forEach((f, i) => {
    if (f.lang !== 'sh' || f.body.startsWith(NOT_RUN_MARK)) return;
    const next = all[i + 1];
    const adjacent = next?.lang === 'text' && markdown.slice(f.end, next.start).trim() === '';
    blocks.push({ line: f.line, script: f.body, expected: adjacent ? next.body : undefined });
  });
  return blocks;
}

/** A regular expression for one expected line: placeholders and runs of spaces become wildcards. */
export function linePattern(expected: string): RegExp {
  const parts = expected.trim().split(/(<[^<>]+>)/);
  const source = parts
    .map((part, i) =>
      i % 2 === 1
        ? '.+?'
        : part
            .split(/\s+/)
            .map((word) => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
            .join('\\s+'),
    )
    .join('');
  return new RegExp(`^${source}$`);
}

/**
 * The expected lines that no printed line matches (each printed line matches at most one expected
 * line); empty when the output shows everything the README says.
 */
export function missingLines(expected: string, printed: string): string[] {
  const available = printed
    .split('\n')
    .map((l) => l.replace(/\r$/, '').trim())
    .filter((l) => l !== '');
  const missing: string[] = [];
  for (const want of expected.split('\n').filter((l) => l.trim() !== '')) {
    const re = linePattern(want);
    const at = available.findIndex((l) => re.test(l));
    if (at === -1) missing.push(want);
    else available.splice(at, 1);
  }
  return missing;
}
