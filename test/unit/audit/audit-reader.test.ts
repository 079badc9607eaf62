/**
 * Reading the audit log back (audit/audit-reader.ts, audit-since.ts): every file oldest first, bad
 * lines skipped and counted, filters by time and by peer (name in any case, fingerprint prefix), limit
 * keeping the newest.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { filterAudit, parseAuditText, readAudit } from '../../../src-main/audit/audit-reader.js';
import { parseSince } from '../../../src-main/audit/audit-since.js';
import type { AuditEvent } from '../../../src-main/audit/audit-events.js';
import { isClawError } from '../../../src-main/core/errors.js';
import { tempDir } from '../../helpers/temp-dir.js';

const laptop = { name: 'Laptop', fingerprint: 'ab12'.repeat(16) };
const office = { name: 'office', fingerprint: 'cd34'.repeat(16) };

function ev(time: string, peer: AuditEvent['peer'], what = 'x'): AuditEvent {
  return { kind: 'refused', time, ...(peer ? { peer } : {}), service: 'terminal', what, outcome: 'refused' };
}

const line = (e: AuditEvent) => `${JSON.stringify(e)}\n`;

test('reads the rotated files then the current one; bad lines are skipped and counted', async () => {
  const home = tempDir('audit-read-');
  writeFileSync(join(home, 'audit.log.2'), line(ev('2026-01-01T00:00:00Z', laptop, 'first')));
  writeFileSync(
    join(home, 'audit.log.1'),
    line(ev('2026-01-02T00:00:00Z', office, 'second')) + 'not json\n{"kind":"terminal"}\n\n',
  );
  writeFileSync(join(home, 'audit.log'), line(ev('2026-01-03T00:00:00Z', laptop, 'third')) + '{"kind":"refu');
  const read = await readAudit(home);
  assert.deepEqual(
    read.events.map((e) => e.what),
    ['first', 'second', 'third'],
  );
  assert.equal(read.bad, 3, 'not JSON, not an event, a torn last line; blank lines are not counted');
});

test('the refusals file is merged in by time, each file keeping its order on equal times', async () => {
  const home = tempDir('audit-read-');
  writeFileSync(
    join(home, 'audit.log'),
    line(ev('2026-01-01T00:00:00Z', laptop, 'a')) +
      line(ev('2026-01-03T00:00:00Z', laptop, 'c')) +
      line(ev('2026-01-05T00:00:00Z', laptop, 'e1')),
  );
  writeFileSync(join(home, 'audit-refusals.log.1'), line(ev('2026-01-02T00:00:00Z', office, 'b')));
  writeFileSync(
    join(home, 'audit-refusals.log'),
    line(ev('2026-01-04T00:00:00Z', office, 'd')) + line(ev('2026-01-05T00:00:00Z', office, 'e2')) + 'torn',
  );
  const read = await readAudit(home);
  assert.deepEqual(
    read.events.map((e) => e.what),
    ['a', 'b', 'c', 'd', 'e1', 'e2'],
  );
  assert.equal(read.bad, 1);
});

test('a home without a log reads as no events', async () => {
  assert.deepEqual(await readAudit(tempDir('audit-none-')), { events: [], bad: 0 });
});

test('filters: since, peer by name in any case or by fingerprint prefix, limit keeps the newest', () => {
  const events = [
    ev('2026-01-01T00:00:00Z', laptop, 'a'),
    ev('2026-01-02T00:00:00Z', office, 'b'),
    ev('2026-01-03T00:00:00Z', undefined, 'c'),
    ev('2026-01-04T00:00:00Z', laptop, 'd'),
  ];
  const whats = (f: Parameters<typeof filterAudit>[1]) => filterAudit(events, f).map((e) => e.what);
  assert.deepEqual(whats({ since: Date.parse('2026-01-02T00:00:00Z') }), ['b', 'c', 'd']);
  assert.deepEqual(whats({ peer: 'laptop' }), ['a', 'd']);
  assert.deepEqual(whats({ peer: 'AB12:AB12' }), ['a', 'd'], 'a fingerprint prefix, any separators and case');
  assert.deepEqual(whats({ peer: 'cd3' }), [], 'too short to be a fingerprint prefix, and no such name');
  assert.deepEqual(whats({ limit: 2 }), ['c', 'd']);
  assert.deepEqual(whats({ peer: 'laptop', limit: 1 }), ['d']);
});

test('since takes durations back from now and ISO times; anything else is refused', () => {
  const now = Date.parse('2026-06-01T12:00:00Z');
  assert.equal(parseSince('30m', now), now - 30 * 60_000);
  assert.equal(parseSince('1h', now), now - 3_600_000);
  assert.equal(parseSince('2d', now), now - 2 * 86_400_000);
  assert.equal(parseSince('2026-05-01T00:00:00Z', now), Date.parse('2026-05-01T00:00:00Z'));
  assert.equal(parseSince('2026-05-01', now), Date.parse('2026-05-01'));
  for (const bad of ['yesterday', '2026-13-45', '-1h']) {
    assert.throws(
      () => parseSince(bad, now),
      (e) => isClawError(e, 'BAD_ARGUMENT'),
      bad,
    );
  }
});

test('parseAuditText keeps file order', () => {
  const text =
    line(ev('2026-01-02T00:00:00Z', laptop, 'later')) + line(ev('2026-01-01T00:00:00Z', laptop, 'earlier'));
  assert.deepEqual(
    parseAuditText(text).events.map((e) => e.what),
    ['later', 'earlier'],
  );
});
