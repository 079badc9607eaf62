/**
 * The rule that refuses a fixed sleep in tests (docs/testing.md §Waiting; scripts/no-fixed-sleep-rule.mjs),
 * run through the project's ESLint config on probe text as if it were a test file: each way of writing
 * a sleep is refused, under any name it was imported by, and what only looks like one (a deadline that
 * rejects, a poll that re-arms itself, a fake clock, the explained `sleep(ms, why)`) is not.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ESLint, type Linter } from 'eslint';

const RULE = 'clawbridge/no-fixed-sleep';
const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The project's ESLint running this rule alone (no type information: the rule needs none). */
const lint = new ESLint({
  cwd: root,
  ruleFilter: ({ ruleId }) => ruleId === RULE,
  overrideConfig: {
    languageOptions: { parserOptions: { projectService: false, project: null } },
  } satisfies Linter.Config,
});

/** The lines of `text` the rule refuses, linted as a test file. */
async function refusedLines(text: string): Promise<number[]> {
  const [result] = await lint.lintText(text, { filePath: `${root}/test/unit/sleep-probe.test.ts` });
  const fatal = result?.messages.filter((m) => m.fatal) ?? [];
  assert.deepEqual(fatal, [], 'the probe parses');
  return (result?.messages ?? []).filter((m) => m.ruleId === RULE).map((m) => m.line);
}

const refused: [string, string][] = [
  ['a resolve handed to setTimeout', `await new Promise((r) => setTimeout(r, 100));`],
  [
    'the same in a block',
    `await new Promise<void>((resolve) => {
  setTimeout(resolve, 100);
});`,
  ],
  ['an arrow that only resolves', `await new Promise<void>((r) => setTimeout(() => r(), 100));`],
  [
    'a function that only resolves',
    `await new Promise<void>((r) => {
  setTimeout(function () {
    r();
  }, 100);
});`,
  ],
  [
    'a delayed value',
    `const later = <T>(ms: number, value: T): Promise<T> =>
  new Promise((resolve) => setTimeout(() => resolve(value), ms));
await later(100, 'x');`,
  ],
  [
    'the timer kept in a constant',
    `await new Promise<void>((r) => {
  const t = setTimeout(r, 100);
  void t;
});`,
  ],
  ["globalThis's setTimeout", `await new Promise((r) => globalThis.setTimeout(r, 100));`],
  [
    'a resolve deferred from a nested callback',
    `await new Promise((resolve) => {
  process.once('beforeExit', () => setTimeout(resolve, 100));
});`,
  ],
  [
    "timers/promises' setTimeout renamed",
    `import { setTimeout as delay } from 'node:timers/promises';
await delay(100);`,
  ],
  [
    'the renamed one not awaited where it is called',
    `import { setTimeout as delay } from 'timers/promises';
const later = delay(100);
await later;`,
  ],
  [
    "timers/promises' setTimeout by its name",
    `import { setTimeout } from 'node:timers/promises';
await setTimeout(100);`,
  ],
  [
    'through a namespace import',
    `import * as timers from 'node:timers/promises';
await timers.setTimeout(100);`,
  ],
  [
    'through a dynamic import, renamed',
    `const { setTimeout: wait } = await import('node:timers/promises');
await wait(100);`,
  ],
  [
    "timers/promises' scheduler.wait",
    `import { scheduler } from 'node:timers/promises';
await scheduler.wait(100);`,
  ],
  [
    'setTimeout promisified',
    `import { promisify } from 'node:util';
const pause = promisify(setTimeout);
await pause(100);`,
  ],
  [
    "Playwright's fixed wait",
    `declare const page: { waitForTimeout(ms: number): Promise<void> };
await page.waitForTimeout(100);`,
  ],
];

for (const [what, text] of refused) {
  test(`refused: ${what}`, async () => {
    const lines = await refusedLines(text);
    assert.equal(lines.length, 1, `one refusal in:\n${text}\ngot lines ${JSON.stringify(lines)}`);
  });
}

const allowed: [string, string][] = [
  [
    'a deadline that rejects',
    `await new Promise((_, reject) => setTimeout(() => reject(new Error('late')), 100));`,
  ],
  [
    'a deadline that says what did not happen in time, beside the event',
    `import { EventEmitter } from 'node:events';
const socket = new EventEmitter();
await new Promise<string>((resolve) => {
  socket.once('close', () => resolve('ended'));
  setTimeout(() => resolve('still open'), 100);
});`,
  ],
  [
    'a poll that re-arms itself and resolves on what it sees',
    `let done = false;
await new Promise<void>((resolve) => {
  const tick = () => (done ? resolve() : void setTimeout(tick, 25));
  tick();
});`,
  ],
  [
    'a timer that ends something',
    `const controller = new AbortController();
setTimeout(() => controller.abort(), 100);`,
  ],
  [
    "a fake clock's timer",
    `declare const clock: { setTimeout(f: () => void, ms: number): void };
await new Promise<void>((r) => clock.setTimeout(r, 100));`,
  ],
  [
    'a setTimeout of its own',
    `function setTimeout(f: () => void, _ms: number): void {
  f();
}
await new Promise<void>((r) => setTimeout(r, 100));`,
  ],
  [
    'the explained sleep',
    `import { sleep } from '../helpers/wait.js';
await sleep(100, 'the window in which nothing may arrive');`,
  ],
  [
    'a sleep with its reason on the line above',
    `// eslint-disable-next-line ${RULE} -- a turn of the event loop
await new Promise((r) => setTimeout(r, 0));`,
  ],
];

for (const [what, text] of allowed) {
  test(`allowed: ${what}`, async () => {
    assert.deepEqual(await refusedLines(text), [], text);
  });
}
