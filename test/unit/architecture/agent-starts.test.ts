/**
 * A test starts an agent one way: `startAgent` (test/helpers/processes.ts, docs/testing.md §The shared
 * helpers), whose options cover the in-process, namespace, traced and raw command-line cases. Six ways
 * had grown (a spawn of the CLI's `agent` with a probe, `runAgent` in a test, …), and each carried its
 * own wait for "running", its own stop and its own leak when a test failed halfway.
 *
 * Read on the syntax tree: a call that starts a process (`spawn`, `execFile`, `fork`, `startProcess`,
 * `cli`, …) with an argument list whose command is `agent` (the first word that is no flag and no
 * flag's value: `[CLI, 'agent', …]`, `['--import', PROBE, CLI, 'agent', …]`), and any call of
 * app/run-agent.ts's `runAgent`.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The starter itself, and its in-process half. */
const STARTER = ['test/helpers/processes.ts', 'test/helpers/in-process-agent.ts'];

/** Calls that start a process from an argument list. */
const STARTS = new Set([
  'spawn',
  'spawnSync',
  'execFile',
  'execFileSync',
  'fork',
  'execa',
  'startProcess',
  'cli',
  'cliJson',
]);
/** Node flags whose value is the next word (`--import tsx`): that word is no command either. */
const TAKES_VALUE = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader']);

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'fixtures' ? [] : files(p);
    return /\.(?:[cm]?ts|tsx|mjs)$/.test(e.name) ? [p] : [];
  });
}

/** The command of an argument list: its first string that is neither a flag nor a flag's value. */
function command(list: ts.ArrayLiteralExpression): string | undefined {
  let skipNext = false;
  for (const el of list.elements) {
    if (!ts.isStringLiteral(el)) {
      skipNext = false;
      continue;
    }
    if (skipNext) skipNext = false;
    else if (TAKES_VALUE.has(el.text)) skipNext = true;
    else if (!el.text.startsWith('-')) return el.text;
  }
  return undefined;
}

const calleeName = (call: ts.CallExpression): string | undefined => {
  const e = call.expression;
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  return undefined;
};

/** `line: what` for each agent a file starts on its own. */
function ownAgentStarts(fileName: string, text: string): string[] {
  // Parsing every test file takes seconds; one that names neither the command nor runAgent starts none.
  if (!/['"]agent['"]|\brunAgent\(/.test(text)) return [];
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const at = (node: ts.Node) => source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      const name = calleeName(node);
      if (name === 'runAgent') found.push(`${at(node)}: runAgent(…) in this process`);
      if (name !== undefined && STARTS.has(name)) {
        for (const arg of node.arguments)
          if (ts.isArrayLiteralExpression(arg) && command(arg) === 'agent')
            found.push(`${at(node)}: ${name}(…) of the CLI's agent`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

test('no test starts an agent but through startAgent', () => {
  const allowed = new Set(STARTER);
  const own = files(path.join(root, 'test')).flatMap((file) => {
    const rel = path.relative(root, file).split(path.sep).join('/');
    if (allowed.has(rel)) return [];
    return ownAgentStarts(rel, readFileSync(file, 'utf8')).map((where) => `${rel}:${where}`);
  });
  assert.deepEqual(own, [], 'start these agents with startAgent (test/helpers/processes.ts)');
});

test('the check sees each way an agent was started, and not a command that merely names one', () => {
  const seen = (code: string) => ownAgentStarts('probe.ts', code).length;
  assert.equal(
    seen(`spawn(process.execPath, ['--import', PROBE, CLI, 'agent', '--home', h]);`),
    1,
    'a probe',
  );
  assert.equal(seen(`spawn(node, ['--trace-opt', '--import', 'tsx', main, 'agent']);`), 1, 'a traced one');
  assert.equal(seen(`startProcess(['agent', '--home', h]);`), 1, 'startProcess');
  assert.equal(seen(`await runAgent({ home });`), 1, 'in process');
  assert.equal(seen(`cli(['service', 'install', 'agent', '--home', h]);`), 0, 'a service of kind agent');
  assert.equal(seen(`assert.deepEqual(start, ['agent', '--home', h]);`), 0, 'an argv compared');
  assert.equal(seen(`startAgent(h, { argv: ['agent', '--home', h] });`), 0, 'the starter');
});

test("the starter's files exist (a renamed file leaves no stale exception)", () => {
  for (const f of STARTER) assert.ok(readFileSync(path.join(root, f), 'utf8').length > 0, `${f} exists`);
});
