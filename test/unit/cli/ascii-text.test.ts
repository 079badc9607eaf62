/**
 * What the CLI prints of its own is plain ASCII: every string and template literal in src-main/cli
 * and the domains' cli/ parts (comments aside), every command's `--help` as the user sees it (through commanderOutput), and the
 * agent's words that reach a note or an error (`it's`, `…`, `→`, `—`) once printNote wrote them. A
 * peer's or a user's text (a message body, a file name) is theirs and is not checked here.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mock, test } from 'node:test';
import { Command } from 'commander';
import ts from 'typescript';
import { registerCommandsFor } from '../../../src-main/cli/command-modules.js';
import { commanderOutput, printNote, printProgress } from '../../../src-main/cli/output.js';
import { plainPunctuation } from '../../../src-main/cli/plain-punctuation.js';
import { cliSources } from '../../helpers/cli-sources.js';

/** Anything but printable ASCII and line breaks and tabs. */
const NON_ASCII = /[^\t\n\r -~]/;

/** Every string and template piece of one source file that is not ASCII, with its line. */
function nonAsciiLiterals(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (
      ts.isStringLiteral(node) ||
      ts.isNoSubstitutionTemplateLiteral(node) ||
      ts.isTemplateHead(node) ||
      ts.isTemplateMiddle(node) ||
      ts.isTemplateTail(node)
    ) {
      const literal = node.getText(source);
      if (NON_ASCII.test(literal)) {
        const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
        found.push(`${file}:${line + 1}: ${literal}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

test('every string the CLI sources hold is ASCII (comments aside)', () => {
  const found: string[] = [];
  for (const { file, path } of cliSources()) {
    if (file === 'plain-punctuation.ts') continue; // the table of what it rewrites
    found.push(...nonAsciiLiterals(file, readFileSync(path, 'utf8')));
  }
  assert.deepEqual(found, []);
});

/** What `fn` writes to stdout and stderr while it runs. */
function captured(fn: () => void): string {
  const out: string[] = [];
  const keep = (chunk: string | Uint8Array) => (out.push(String(chunk)), true);
  const writes = [mock.method(process.stdout, 'write', keep), mock.method(process.stderr, 'write', keep)];
  try {
    fn();
  } finally {
    for (const w of writes) w.mock.restore();
  }
  return out.join('');
}

test("every command's --help is ASCII as printed", async () => {
  const program = new Command('clawbridge');
  // No command: every module, as the help loads them.
  await registerCommandsFor(program, []);
  const helps: string[] = [];
  const walk = (c: Command) => {
    helps.push(captured(() => commanderOutput.writeOut(c.helpInformation())));
    c.commands.forEach(walk);
  };
  walk(program);
  assert.ok(helps.length > 40, 'every command was reached');
  const bad = helps.filter((h) => NON_ASCII.test(h)).map((h) => h.split('\n', 1)[0]);
  assert.deepEqual(bad, []);
});

test("the agent's words in a note or a progress line reach the terminal as ASCII", () => {
  const agentWords =
    'b’s link — waiting for b to be reachable…; 127.0.0.1:80 → b (1–65535, ≤ 4 KiB × 2, “quoted”)';
  const printed = captured(() => {
    printNote(agentWords);
    printProgress(agentWords);
  });
  // The progress line's own erase (a carriage return, ESC [2K) aside.
  assert.doesNotMatch(printed.replaceAll('\r\x1b[2K', ''), NON_ASCII, printed);
  assert.equal(
    plainPunctuation(agentWords),
    `b's link - waiting for b to be reachable...; 127.0.0.1:80 -> b (1-65535, <= 4 KiB x 2, "quoted")`,
  );
});
