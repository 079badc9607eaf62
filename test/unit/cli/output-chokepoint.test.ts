/**
 * Every line the CLI prints goes through cli/output.ts (printLine, printBlock, printNote, printJson),
 * which escapes what a terminal would act on (core/terminal-text.ts): a command written with
 * console.log or a stream's write would let a peer's name, address or reason drive the owner's
 * terminal. This reads every CLI source file and lists what writes elsewhere; the few exceptions are
 * named with why. test/integration/cli-hostile-output.test.ts runs every command against an agent
 * that answers with hostile strings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { cliSources } from '../../helpers/cli-sources.js';

/** Writes that do not go through output.ts, each with why it may not. */
const ALLOWED: { file: string; line: RegExp; why: string }[] = [
  { file: 'output.ts', line: /./, why: 'the writers themselves' },
  {
    file: 'output-errors.ts',
    line: /process\.stderr\.write\('', \(\) => process\.stdout\.write\(''/,
    why: 'writes nothing: waits until what was written is out',
  },
  {
    file: 'main.ts',
    line: /process\.stderr\.write\(`clawbridge: \$\{errorMessage\(err\)\}\\n`\)/,
    why: "the last resort when main's own error handling failed: the writers may be what failed",
  },
  {
    file: 'term-command.ts',
    line: /if \(!out\.write\(data\)/,
    why: "the remote program's terminal output, which the user asked to see as it is (term's job)",
  },
  {
    file: 'term-command.ts',
    line: /stderr\.write\(`\\r\\n\$\{ESCAPE_HELP\}`\)/,
    why: 'a constant of this program (the ~? help)',
  },
  // Edited elsewhere (the relay and the web UI's token hand-over); both print only this node's own
  // values: the relay's listening URL and fingerprint, the UI's link and why no browser opened.
  { file: 'relay-command.ts', line: /./, why: 'prints only its own URL and fingerprint' },
  { file: 'ui-command.ts', line: /./, why: 'prints only its own link' },
];

const WRITE = /\bconsole\.(log|error|warn|info|debug)\(|\b(stdout|stderr|out)\.write\(/;

test('every CLI file prints through output.ts', () => {
  const offenders: string[] = [];
  const files = cliSources();
  assert.ok(files.length > 20, 'the CLI sources were found');
  assert.ok(
    files.some((f) => f.file === 'msg-commands.ts'),
    "a domain's cli/ part is among them",
  );
  for (const { file, path } of files) {
    const lines = readFileSync(path, 'utf8').split('\n');
    lines.forEach((text, i) => {
      if (/^\s*(\*|\/\/)/.test(text) || !WRITE.test(text)) return;
      if (ALLOWED.some((a) => a.file === file && a.line.test(text))) return;
      offenders.push(`${file}:${i + 1}: ${text.trim()}`);
    });
  }
  assert.deepEqual(offenders, [], 'print with printLine/printBlock/printNote/printJson (cli/output.ts)');
});
