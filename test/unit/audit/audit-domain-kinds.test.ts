/**
 * The audit log's kinds are the node's and those its domains' contract pieces bring (ADR 0093):
 * lines written before the domains brought theirs (test/fixtures/audit/audit-lines.jsonl: a terminal's
 * sessions on both sides, messages that expired, and node kinds; each passes the schema of the release
 * that still listed `terminal` and `message` itself) read back the same with the domains' kinds, and
 * a process that has none of them skips those lines and counts them instead of misreading them.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { addAuditKinds } from '../../../src-main/audit/audit-events.js';
import { readAudit } from '../../../src-main/audit/audit-reader.js';
import { tempDir } from '../../helpers/temp-dir.js';
// The domains' audit kinds, as an agent has them once it built its contract.
import '../../helpers/agent-contract.js';
import { sourceEntry } from '../../helpers/transpiled.js';

const fixture = fileURLToPath(new URL('../../fixtures/audit/audit-lines.jsonl', import.meta.url));
const child = fileURLToPath(new URL('../../helpers/audit-no-domains-child.ts', import.meta.url));

function homeWithLog(): string {
  const home = tempDir('cb-audit-kinds-');
  copyFileSync(fixture, join(home, 'audit.log'));
  return home;
}

test('lines written before the domains brought their audit kinds read back the same', async () => {
  const read = await readAudit(homeWithLog());
  const lines = readFileSync(fixture, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as unknown);
  assert.equal(read.bad, 0);
  assert.deepEqual(read.events, lines);
});

test("a process without the domains skips their kinds' lines and counts them, and reads the node's", () => {
  const r = spawnSync(process.execPath, [...sourceEntry(child), homeWithLog()], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { kinds: ['connection', 'peer', 'audit'], bad: 5 });
});

test('a domain cannot bring a kind of the node, nor one another domain brings', () => {
  const fields = () => ({});
  assert.throws(() => addAuditKinds([{ audit: { peer: fields } }]), /the audit kind 'peer', the node's own/);
  assert.throws(
    () => addAuditKinds([{ audit: { toy: fields } }, { audit: { toy: () => ({}) } }]),
    /two domains bring the audit kind 'toy'/,
  );
});
