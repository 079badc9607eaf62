/**
 * The CLI's output: every line a command prints goes through the writers below (printLine, printBlock,
 * printNote, printJson), never console.log or a stream's write, so no peer-controlled string reaches
 * the terminal with an ESC, C1, DEL or bidi control (core/terminal-text.ts; test/unit/cli/
 * output-chokepoint.test.ts checks that nothing else writes). Also short durations, hints and
 * errors (tables: table.ts).
 */

import { errorMessage, hintOf, isClawError, type ErrorCode } from '../core/errors.js';
import type { Hint } from '../core/hint.js';
import { shellWord } from '../core/shell-word.js';
import { escapeControlChars, escapeForTerminal, jsonForTerminal } from '../core/terminal-text.js';
import { plainPunctuation } from './plain-punctuation.js';

/** `3s`, `4m`, `2h`, `5d` since an ISO time. */
export function age(iso: string | null, now = Date.now()): string {
  if (!iso) return '-';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

export function formatRtt(ms: number | null): string {
  if (ms === null) return '-';
  return ms < 10 ? `${ms.toFixed(2)} ms` : `${ms.toFixed(0)} ms`;
}

/**
 * One line on stdout. It is one line whatever it quotes: a newline, carriage return or other control
 * in it is shown escaped (a name sent by a peer cannot forge a second line).
 */
export function printLine(line: string): void {
  process.stdout.write(`${escapeControlChars(line)}\n`);
}

/**
 * Lines this command composed (a table, whose cells table() escaped) on stdout: its newlines stay line
 * breaks, every other control is shown escaped.
 */
export function printBlock(text: string): void {
  process.stdout.write(`${escapeForTerminal(fitBlock(text))}\n`);
}

/** What printBlock does to a block before it prints it: nothing, unless a listing fits the terminal. */
let fitBlock: (text: string) => string = (text) => text;

/** Has printBlock pass each block through `fit` (table.ts fitTablesTo: rows cut to the terminal). */
export function fitBlocksWith(fit: (text: string) => string): void {
  fitBlock = fit;
}

/** The same as printBlock, on stderr (commentary that is not the command's result). */
export function printBlockToStderr(text: string): void {
  process.stderr.write(`${escapeForTerminal(text)}\n`);
}

/**
 * `clawbridge: LINE` on stderr: an error, a warning, a note; one line, every control in it escaped.
 * `frame` puts this program's own line breaks around it (`\r\n` on a terminal in raw mode).
 */
export function printNote(line: string, frame: { before?: string; after?: string } = {}): void {
  process.stderr.write(
    `${frame.before ?? ''}clawbridge: ${escapeControlChars(plainPunctuation(line))}${frame.after ?? '\n'}`,
  );
}

/**
 * A progress line redrawn in place on stderr (`file send` on a terminal): a carriage return, the line
 * erased, then `line` with every control escaped (a peer's name in it cannot drive the terminal);
 * `null` only erases it. Callers draw it only when stderr is a terminal.
 */
export function printProgress(line: string | null): void {
  process.stderr.write(`\r\x1b[2K${line === null ? '' : escapeControlChars(plainPunctuation(line))}`);
}

/**
 * Commander's own output (help, usage errors that quote what was typed) through the same escape as
 * every other block (program.configureOutput in main.ts).
 */
export const commanderOutput = {
  writeOut: (text: string): void => void process.stdout.write(escapeForTerminal(plainPunctuation(text))),
  writeErr: (text: string): void => void process.stderr.write(escapeForTerminal(plainPunctuation(text))),
};

/**
 * A value as JSON on stdout. Characters a terminal acts on (DEL, C1, bidi controls; JSON.stringify
 * already escapes C0) are written as `\uXXXX` escapes: a script parses exactly the value the agent
 * gave (the name a peer really has), and the terminal the JSON lands on sees plain ASCII escapes.
 */
export function printJson(value: unknown): void {
  process.stdout.write(`${jsonForTerminal(value, 2)}\n`);
}

/** Set by a command whose `--json` output is JSON lines: its error, too, is then one line. */
let jsonLinesOutput = false;

/** This command prints JSON lines (`msg send`, `msg listen`, …): an error printed as JSON is one line too. */
export function useJsonLines(): void {
  jsonLinesOutput = true;
}

/** A refused command's error as JSON on stdout (errorJson): one line after JSON lines, else indented. */
export function printErrorJson(value: unknown): void {
  if (jsonLinesOutput) printJsonLine(value);
  else printJson(value);
}

/**
 * A value as one line of JSON on stdout (JSON lines: `msg listen --json`, one object per message), with
 * the same escapes as printJson.
 */
export function printJsonLine(value: unknown): void {
  process.stdout.write(`${jsonForTerminal(value)}\n`);
}

/**
 * Text a peer's program wrote, for a person to read (`msg ask`'s reply): its line breaks and tabs stay,
 * every other control is shown escaped. With `endLine`, one line break is added unless it ends with one.
 */
export function printText(text: string, endLine = true): void {
  const safe = text.split('\t').map(escapeForTerminal).join('\t');
  process.stdout.write(!endLine || safe.endsWith('\n') ? safe : `${safe}\n`);
}

/**
 * Resolves once what was written to stdout so far is out (handed to the pipe, file or terminal): true,
 * or false when it could not be (the reader went away, the disk is full; output-errors.ts says so).
 */
export function stdoutFlushed(): Promise<boolean> {
  return new Promise((resolve) => process.stdout.write('', (err) => resolve(!err)));
}

export { shellWord };

/**
 * A `clawbridge …` command for a hint, with `--home DIR` when the command that prints it was given one:
 * every hint must work when pasted as it is, and without the home it would talk to another node.
 */
export function hintCommand(args: string, home?: string): string {
  return `clawbridge ${args}${home === undefined ? '' : ` --home ${shellWord(home)}`}`;
}

/**
 * A refused command's error, for a script (`--json`): the agent's code and line, and the command it
 * names as data (core/hint.ts) — what the window gets. A value that is no ClawError is `INTERNAL`.
 */
export function errorJson(err: unknown): {
  error: { code: ErrorCode; message: string; hint?: Hint };
} {
  const hint = hintOf(err);
  // What to run, and where (and the flag it is about): where the sentence names it (`at`) is for
  // clients that render the line, not for scripts, which get the command as argv.
  const data = hint && { argv: hint.argv, where: hint.where, ...(hint.flag ? { flag: hint.flag } : {}) };
  return {
    error: {
      code: isClawError(err) ? err.code : 'INTERNAL',
      message: inFlagTerms(errorMessage(err)),
      ...(data ? { hint: data } : {}),
    },
  };
}

/** API parameters that the CLI takes as a flag of the same name. */
const FLAG_PARAMS = new Set(['name', 'local', 'remote', 'via', 'address', 'relay', 'listen']);

/**
 * The agent's refusal of a parameter (`invalid parameters for forward.add: name: use 1–64 letters…`),
 * said about the flag the user typed (`--name: use 1–64 letters…`). A parameter with no flag of its
 * name came from the command's arguments or its defaults: said in plain words, the parameter kept in
 * parentheses for whoever reports it. Either way the API method, a developer's word (the window and
 * IPC keep it), is not the user's. Other messages are unchanged.
 */
export function inFlagTerms(message: string): string {
  const m = /^invalid parameters for [\w.]+: (?:([\w.]+): )?(.*)$/s.exec(message);
  if (!m) return message;
  const [, field, problem] = m;
  if (field !== undefined && FLAG_PARAMS.has(field)) return `--${field}: ${problem}`;
  const what = field === undefined ? problem : `${field}: ${problem}`;
  return `the agent refused a value this command sent (${what}): check the command's arguments (--help says what each takes)`;
}

/** True when the command line asks for JSON (`--json` before any `--`). */
export function jsonArgument(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

/** The `--home DIR` (or `--home=DIR`) of a command line, if it has one. */
export function homeArgument(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return undefined;
    if (arg === '--home') return argv[i + 1];
    if (arg.startsWith('--home=')) return arg.slice('--home='.length);
  }
  return undefined;
}
