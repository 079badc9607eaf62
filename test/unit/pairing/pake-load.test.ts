import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { nodeArgsFor, runnablePath } from '../../helpers/transpiled.js';

const hook = fileURLToPath(new URL('../../helpers/loaded-packages.mjs', import.meta.url));
const child = fileURLToPath(new URL('../../helpers/import-child.ts', import.meta.url));
const runAgent = fileURLToPath(new URL('../../../src-main/app/run-agent.ts', import.meta.url));

test('the agent loads the pairing PAKE (@noble/curves) with its first pairing, not at start (ADR 0062)', () => {
  const r = spawnSync(process.execPath, [...nodeArgsFor(child, ['--import', hook]), runnablePath(runAgent)], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const line = /^loaded-packages: (.*)$/m.exec(r.stderr)?.[1] ?? '';
  assert.ok(line.includes('zod'), `the hook sees packages: ${line}`);
  assert.ok(!line.split(',').includes('@noble/curves'), `@noble/curves was loaded: ${line}`);
});
