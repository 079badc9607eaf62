import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { nodeArgsFor, runnablePath } from '../../helpers/transpiled.js';

const hook = fileURLToPath(new URL('../../helpers/zod-schemas-made.mjs', import.meta.url));
const child = fileURLToPath(new URL('../../helpers/import-child.ts', import.meta.url));
const runAgent = fileURLToPath(new URL('../../../src-main/app/run-agent.ts', import.meta.url));
/** The control: one schema made at load by a module outside src-main, which the hook must count. */
const control = `data:text/javascript,${encodeURIComponent(`import { z } from '${import.meta.resolve('zod')}'; z.string();`)}`;

/** The API contract's own schemas (api/contract*.ts: shared parts of the per-method ones) are not counted. */

test("loading the agent's code makes no zod schema outside the API contract: they are made on use (ADR 0073)", () => {
  const r = spawnSync(
    process.execPath,
    [...nodeArgsFor(child, ['--import', hook, '--import', control]), runnablePath(runAgent)],
    {
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  assert.equal(r.status, 0, r.stderr);
  const line = /^zod-schemas-made: (.*)$/m.exec(r.stderr)?.[1];
  assert.ok(line !== undefined, `the hook reports: ${r.stderr}`);
  const made = new Map(
    line
      .split(',')
      .filter(Boolean)
      .map((entry) => {
        const [file, n] = entry.split('=');
        return [file!, Number(n)] as const;
      }),
  );
  assert.ok((made.get('(elsewhere)') ?? 0) >= 1, `the hook counts the control's schema: ${line}`);
  const over = [...made].filter(
    ([file, n]) => file !== '(elsewhere)' && !/^api\/contract[-.]/.test(file) && n > 0,
  );
  assert.deepEqual(over, [], `made when loaded: ${line}`);
});
