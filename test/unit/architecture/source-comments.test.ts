/**
 * Source comments under src-main/ keep the reason and link the design note; tuning history stays out
 * of them (docs/design/README.md; STYLE: "comments that say why"). The runs behind a figure live in
 * bench/README.md §History and the ADRs, the figure that justifies a knob in its design note. So no
 * comment carries an issue number, a measured ratio (`0.93×`, `15×`, `1.2x`) or another measured figure
 * (`~2.45 ms`, `~18 %` of the CPU, `took 1.1 s`), and none reads as a run log (`measured: …`, `in some
 * full bench runs`, `run 19`, `profiled`).
 *
 * Comments are found with TypeScript's own parser (every token's leading and trailing comment ranges),
 * so `//` inside a string, a template or a regular expression is not read as one.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** An issue number: `issue 56`, `issues 54`, `Issue #12`. */
const ISSUE_NUMBER = /\bissues?\s*#?\d+/gi;

/**
 * A number written as a ratio: digits, maybe a fraction, then `×` or `x` (`0.93×`, `15×`, `1.2x`,
 * `0.86–0.93 ×`). Not part of a word or a name (`0x1f`, `4xx`, an image's `@2x`, a version `v1.2x…`).
 */
const RATIO = /(?<![\w@.])\d+(?:[.,]\d+)?\s?[×x](?![\w])/g;

/**
 * Arithmetic, which stays: `N × NAME` with a space on both sides of the sign and a word, a number, a
 * name or a bracket after it (`4 × RTTVAR`, `80 × 24`, `16 × 256 KiB`, `2 × (min RTT + target)`,
 * `4 × \`pingIntervalMs\``).
 */
const ARITHMETIC = /^\d+(?:[.,]\d+)? [×x] [\w(`~]/;

/** Phrases that only a run log has: a measurement reported, a bench run named, a profile read. */
const RUN_LOG = [
  /\bmeasured:/gi,
  /\b(?:full (?:bench )?|bench )runs?\b/gi,
  /\brun \d+\b/gi,
  /\bprofiled\b/gi,
];

/** A number and a time, share or size unit after it: `2.45 ms`, `18 %`, `0.8 MB`, `1.1 GB`, `5 s`. */
const FIGURE = String.raw`\d[\d,]*(?:\.\d+)?\s?(?:ns|µs|us|ms|s|min|%|[KMGT]i?B|[KMG]bit/s)(?!\w)`;

/**
 * A measured figure: an approximate one (`~2.45 ms`, `~18 %`, `~0.8 MB`), which only a measurement
 * gives, or one a past run reported (`took 1.1 s`, `once took the agent to 1.1 GB`). A knob's value
 * (`a 5 s deadline`, `at most 30 %`) and arithmetic on knobs (`2 MiB lasts 35 ms at 60 MB/s`) stay.
 */
const MEASURED_FIGURE = [
  new RegExp(String.raw`~\s?${FIGURE}`, 'g'),
  new RegExp(String.raw`\btook\b[^.;\n]{0,60}?(?<![\w.])${FIGURE}`, 'gi'),
];

/**
 * Comments that match a pattern above and report no measurement: the file, a piece of the comment's
 * line that holds the match, and why it stays. Add a row only with its reason.
 */
const EXCEPTIONS: readonly { file: string; text: string; reason: string }[] = [
  {
    file: 'src-main/electron/tray-icons.ts',
    text: 'of a 1x icon file name',
    reason: "an image's scale factor (1x, @2x files for Retina screens), not a ratio anyone measured",
  },
  {
    file: 'src-main/electron/tray-icons.ts',
    text: 'the app ships, 1x and 2x,',
    reason: "an image's scale factor (1x, @2x files for Retina screens), not a ratio anyone measured",
  },
];

interface Comment {
  file: string;
  line: number;
  text: string;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(?:[cm]?ts|tsx)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out.sort();
}

/** Every comment of `text`, the source of `file` (relative to the repository), once each. */
function commentsIn(file: string, text: string): Comment[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const seen = new Map<number, Comment>();
  const add = (ranges: ts.CommentRange[] | undefined) => {
    for (const r of ranges ?? []) {
      if (seen.has(r.pos)) continue;
      const { line } = source.getLineAndCharacterOfPosition(r.pos);
      seen.set(r.pos, { file, line: line + 1, text: text.slice(r.pos, r.end) });
    }
  };
  const visit = (node: ts.Node) => {
    add(ts.getLeadingCommentRanges(text, node.pos));
    add(ts.getTrailingCommentRanges(text, node.end));
    for (const child of node.getChildren(source)) visit(child);
  };
  visit(source);
  return [...seen.values()];
}

const commentsOf = (file: string) => commentsIn(path.relative(root, file), readFileSync(file, 'utf8'));

/** What in `comment` breaks the rule, as `file:line: text — why`. */
function findings(comment: Comment): string[] {
  const out: string[] = [];
  const lines = comment.text.split('\n');
  const report = (m: RegExpMatchArray, why: string) => {
    const at = comment.text.slice(0, m.index).split('\n').length - 1;
    const exempt = EXCEPTIONS.some(
      (e) => e.file === comment.file && e.text.includes(m[0]) && lines[at]!.includes(e.text),
    );
    if (!exempt) out.push(`${comment.file}:${comment.line + at}: "${m[0]}" — ${why}`);
  };
  for (const m of comment.text.matchAll(ISSUE_NUMBER)) report(m, 'an issue number');
  for (const m of comment.text.matchAll(RATIO)) {
    if (!ARITHMETIC.test(comment.text.slice(m.index))) report(m, 'a measured ratio');
  }
  for (const re of RUN_LOG) for (const m of comment.text.matchAll(re)) report(m, 'a run log');
  for (const re of MEASURED_FIGURE) for (const m of comment.text.matchAll(re)) report(m, 'a measured figure');
  return out;
}

/** The findings for one snippet of source, as if it were a file of src-main/. */
const findingsIn = (source: string) => commentsIn('src-main/example.ts', source).flatMap(findings);

test('the patterns tell measured ratios, issue numbers and run logs from arithmetic', () => {
  const flagged = [
    '/** Pacing gain (1.06× on a 100 ms path). */\nconst a = 1;',
    '// long-fat read 0.86–0.93× raw TCP\nconst a = 1;',
    '// compression cuts throughput 15× and costs memory\nconst a = 1;',
    '// a cap that is 1.2x the BDP\nconst a = 1;',
    '// 16× what a link needs\nconst a = 1;',
    '/** See issue 56 item 2. */\nconst a = 1;',
    'const a = 1; // (issue #12)',
    '// measured: +25 ms each 10 s\nconst a = 1;',
    '// 0.82 raw TCP in some full bench runs\nconst a = 1;',
    '// the latest full run (run 19)\nconst a = 1;',
    '/** CPU per connection from ~2.0 ms (log off) to ~2.45 ms. */\nconst a = 1;',
    '// copying them cost a receiving agent ~18 % of its CPU\nconst a = 1;',
    "// ~0.8 MB of an idle agent's heap\nconst a = 1;",
    '// `clawbridge id` took 1.1 s\nconst a = 1;',
    '// 500 uncapped connections once took the agent to 1.1 GB\nconst a = 1;',
    '// the JavaScript curve costs 3 ms warm (profiled)\nconst a = 1;',
  ];
  for (const s of flagged) assert.notDeepEqual(findingsIn(s), [], `flagged: ${s}`);
  const kept = [
    '// RTO = SRTT + 4 × RTTVAR\nconst a = 1;',
    '/** The classic 80 × 24. */\nconst a = 1;',
    '// 16 × 256 KiB kept at most\nconst a = 1;',
    '// 2 × (min RTT + target)\nconst a = 1;',
    '// 4 × `pingIntervalMs` unless set\nconst a = 1;',
    '// nativeImage picks the `@2x` file; a 4xx reply; nonce 0x7f\nconst a = 1;',
    '// by at most 30 %; see ADR 0048 and docs/design/flight-and-pacing.md §Knobs\nconst a = 1;',
    '// 2 MiB lasts 35 ms at 60 MB/s; a 5 s deadline; at most 30 % of the window\nconst a = 1;',
    '// an idle agent held ~1,500 of them; it took the lock\nconst a = 1;',
    "const s = '// issue 56 in a string, 15× in a string';",
    'const t = `// 0.93× in a template ${1} and // issue 3`;',
    'const r = /\\/\\/ issue 4/;',
  ];
  for (const s of kept) assert.deepEqual(findingsIn(s), [], `kept: ${s}`);
});

test('no comment under src-main/ carries an issue number, a measured ratio or a run log', () => {
  const files = sourceFiles(path.join(root, 'src-main'));
  assert.ok(files.length > 100, `found the sources (${files.length} files)`);
  const comments = files.flatMap(commentsOf);
  assert.ok(comments.length > 1000, `found their comments (${comments.length})`);
  const bad = comments.flatMap(findings);
  assert.deepEqual(
    bad,
    [],
    'keep the reason and link the design note (docs/design/*.md §…) or the ADR; the figures go to the note, the runs to bench/README.md §History',
  );
});

test('every exception still matches a comment, so none outlives its reason', () => {
  const files = sourceFiles(path.join(root, 'src-main'));
  for (const e of EXCEPTIONS) {
    const file = files.find((f) => path.relative(root, f) === e.file);
    assert.ok(file, `${e.file} exists`);
    assert.ok(
      commentsOf(file).some((c) => c.text.includes(e.text)),
      `${e.file} still has "${e.text}"`,
    );
  }
});
