/**
 * The audit writer (audit/audit-writer.ts): lines appended as JSON with mode 0600, rotation by size
 * keeping `keep` old files, a bounded queue that drops and counts (and says so in the log), and a
 * write error told once without throwing at whoever records.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { AuditWriter } from '../../../src-main/audit/audit-writer.js';
import { parseAuditText } from '../../../src-main/audit/audit-reader.js';
import type { AuditInput } from '../../../src-main/audit/audit-events.js';
import { tempDir } from '../../helpers/temp-dir.js';

const peer = { name: 'laptop', fingerprint: 'b'.repeat(64) };

function refused(n: number): AuditInput {
  return { kind: 'refused', peer, service: 'terminal', what: `terminal stream ${n}`, outcome: 'refused' };
}

test('events are appended as JSON lines, stamped with the time, in a file only the owner can read', async () => {
  const path = join(tempDir('audit-'), 'audit.log');
  const w = new AuditWriter({ path, onProblem: assert.fail, now: () => Date.parse('2026-01-02T03:04:05Z') });
  const written: number[] = [];
  w.events.on('written', (n) => written.push(n));
  w.record(refused(1));
  w.record({ ...refused(2), time: '2026-01-01T00:00:00.000Z' });
  await w.flush();
  assert.deepEqual(written, [2], 'one batch of two lines, announced');
  const read = parseAuditText(readFileSync(path, 'utf8'));
  assert.equal(read.bad, 0);
  assert.deepEqual(
    read.events.map((e) => [e.time, e.what]),
    [
      ['2026-01-02T03:04:05.000Z', 'terminal stream 1'],
      ['2026-01-01T00:00:00.000Z', 'terminal stream 2'],
    ],
  );
  assert.equal(statSync(path).mode & 0o777, 0o600);
});

test('an existing file with looser permissions is set to 0600 on the first write', async () => {
  const path = join(tempDir('audit-'), 'audit.log');
  const w1 = new AuditWriter({ path, onProblem: assert.fail });
  w1.record(refused(1));
  await w1.close();
  chmodSync(path, 0o644);
  const w2 = new AuditWriter({ path, onProblem: assert.fail });
  w2.record(refused(2));
  await w2.close();
  assert.equal(statSync(path).mode & 0o777, 0o600);
});

test('the file is rotated by size: audit.log.1 … .keep, the oldest dropped, nothing lost in between', async () => {
  const path = join(tempDir('audit-'), 'audit.log');
  const w = new AuditWriter({ path, maxBytes: 1000, keep: 2, onProblem: assert.fail });
  // One write per event (flush between), so each rotation decision sees the size it would in use.
  for (let i = 0; i < 40; i++) {
    w.record(refused(i));
    await w.flush();
  }
  for (const f of [path, `${path}.1`, `${path}.2`]) {
    assert.ok(statSync(f).size <= 1000, `${f} is at most maxBytes`);
    assert.equal(statSync(f).mode & 0o777, 0o600);
  }
  assert.equal(existsSync(`${path}.3`), false, 'only keep old files');
  const numbers = [`${path}.2`, `${path}.1`, path].flatMap((f) =>
    parseAuditText(readFileSync(f, 'utf8')).events.map((e) => Number(e.what.split(' ').pop())),
  );
  // Oldest first across the files, contiguous up to the last one written.
  assert.equal(numbers.at(-1), 39);
  assert.deepEqual(
    numbers,
    numbers.map((_, i) => numbers[0]! + i),
  );
});

test('the queue is bounded: past it events are dropped, counted, and the count is written', async () => {
  const path = join(tempDir('audit-'), 'audit.log');
  const w = new AuditWriter({ path, maxQueued: 10, onProblem: assert.fail });
  // All in one tick: nothing is written until the next turn, so the queue fills.
  for (let i = 0; i < 25; i++) w.record(refused(i));
  assert.equal(w.queued, 10);
  assert.equal(w.droppedCount, 15);
  await w.flush();
  const events = parseAuditText(readFileSync(path, 'utf8')).events;
  assert.equal(events.length, 11);
  const note = events.at(-1)!;
  assert.equal(note.kind, 'audit');
  assert.equal(note.kind === 'audit' && note.dropped, 15);
  assert.equal(w.droppedCount, 0);
});

test('a write error is told once, never thrown at the caller; later writes resume with the count', async () => {
  const dir = tempDir('audit-');
  // A directory where the file should be: every open fails, as a full or read-only disk would.
  const path = join(dir, 'audit.log');
  mkdirSync(path);
  const problems: string[] = [];
  const w = new AuditWriter({ path, onProblem: (m) => problems.push(m) });
  w.record(refused(1));
  await w.flush();
  w.record(refused(2));
  await w.flush();
  assert.equal(problems.length, 1, 'told once');
  assert.match(problems[0]!, /audit log .* cannot be written/);
  assert.equal(w.droppedCount, 2);
  // The disk is back (here: the writer is pointed at a file that can be written).
  const ok = new AuditWriter({ path: join(dir, 'other.log'), onProblem: assert.fail });
  ok.record(refused(3));
  await ok.close();
  assert.equal(parseAuditText(readFileSync(join(dir, 'other.log'), 'utf8')).events.length, 1);
});

test('long text (a long command line, a long reason) is clipped, so the line still reads back', async () => {
  const path = join(tempDir('audit-'), 'audit.log');
  const w = new AuditWriter({ path, onProblem: assert.fail });
  w.record({ ...refused(1), what: `b → sh -c '${'x'.repeat(5000)}'`, reason: 'r'.repeat(5000) });
  await w.close();
  const read = parseAuditText(readFileSync(path, 'utf8'));
  assert.equal(read.bad, 0, 'not a bad line');
  const [e] = read.events;
  assert.equal(e!.what.length, 500);
  assert.ok(e!.what.endsWith('…'));
  assert.equal(e!.reason!.length, 1000);
});

/** Descriptors of this process open on `path` (Linux: /proc/self/fd). */
function openOn(path: string): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path;
    } catch {
      return false;
    }
  }).length;
}

test(
  'the file stays open across batches while events come, and is closed once they stop',
  { skip: process.platform !== 'linux' && 'reads /proc/self/fd' },
  async () => {
    const path = join(tempDir('audit-'), 'audit.log');
    const w = new AuditWriter({ path, idleCloseMs: 50, onProblem: assert.fail });
    w.record(refused(1));
    await w.flush();
    w.record(refused(2));
    await w.flush();
    assert.equal(openOn(path), 1, 'one descriptor, kept between the two batches');
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(openOn(path), 0, 'closed after the idle time');
    assert.equal(parseAuditText(readFileSync(path, 'utf8')).events.length, 2);
    await w.close();
  },
);

test('a log removed by hand while the node was quiet is created again by the next event', async () => {
  const path = join(tempDir('audit-'), 'audit.log');
  const w = new AuditWriter({ path, idleCloseMs: 20, onProblem: assert.fail });
  w.record(refused(1));
  await w.flush();
  await new Promise((r) => setTimeout(r, 80));
  rmSync(path);
  w.record(refused(2));
  await w.close();
  const events = parseAuditText(readFileSync(path, 'utf8')).events;
  assert.deepEqual(
    events.map((e) => e.what),
    ['terminal stream 2'],
  );
  assert.equal(statSync(path).mode & 0o777, 0o600);
});
