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
import { sleep, until } from '../../helpers/wait.js';
// The domains' audit kinds (the terminal's session lines), as an agent has them once it built its contract.
import '../../helpers/agent-contract.js';

const peer = { name: 'laptop', fingerprint: 'b'.repeat(64) };

/** An event of the log itself (refusals have a file of their own: see the tests at the end). */
function terminal(n: number): AuditInput {
  return {
    kind: 'terminal',
    phase: 'start',
    side: 'served',
    peer,
    what: `terminal stream ${n}`,
    outcome: 'ok',
  };
}

test('events are appended as JSON lines, stamped with the time, in a file only the owner can read', async () => {
  const path = join(tempDir('audit-'), 'audit.log');
  const w = new AuditWriter({ path, onProblem: assert.fail, now: () => Date.parse('2026-01-02T03:04:05Z') });
  const written: number[] = [];
  w.events.on('written', (n) => written.push(n));
  w.record(terminal(1));
  w.record({ ...terminal(2), time: '2026-01-01T00:00:00.000Z' });
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
  w1.record(terminal(1));
  await w1.close();
  chmodSync(path, 0o644);
  const w2 = new AuditWriter({ path, onProblem: assert.fail });
  w2.record(terminal(2));
  await w2.close();
  assert.equal(statSync(path).mode & 0o777, 0o600);
});

test('the file is rotated by size: audit.log.1 … .keep, the oldest dropped, nothing lost in between', async () => {
  const path = join(tempDir('audit-'), 'audit.log');
  const w = new AuditWriter({ path, maxBytes: 1000, keep: 2, onProblem: assert.fail });
  // One write per event (flush between), so each rotation decision sees the size it would in use.
  for (let i = 0; i < 40; i++) {
    w.record(terminal(i));
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
  for (let i = 0; i < 25; i++) w.record(terminal(i));
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
  w.record(terminal(1));
  await w.flush();
  w.record(terminal(2));
  await w.flush();
  assert.equal(problems.length, 1, 'told once');
  assert.match(problems[0]!, /audit log .* cannot be written/);
  assert.equal(w.droppedCount, 2);
  // The disk is back (here: the writer is pointed at a file that can be written).
  const ok = new AuditWriter({ path: join(dir, 'other.log'), onProblem: assert.fail });
  ok.record(terminal(3));
  await ok.close();
  assert.equal(parseAuditText(readFileSync(join(dir, 'other.log'), 'utf8')).events.length, 1);
});

test('long text (a long command line, a long reason) is clipped, so the line still reads back', async () => {
  const path = join(tempDir('audit-'), 'audit.log');
  const w = new AuditWriter({ path, onProblem: assert.fail });
  w.record({ ...terminal(1), what: `b → sh -c '${'x'.repeat(5000)}'`, reason: 'r'.repeat(5000) });
  await w.close();
  const read = parseAuditText(readFileSync(path, 'utf8'));
  assert.equal(read.bad, 0, 'not a bad line');
  const [e] = read.events;
  assert.equal(e!.what.length, 500);
  assert.ok(e!.what.endsWith('…'), "e!.what.endsWith('…')");
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
    w.record(terminal(1));
    await w.flush();
    w.record(terminal(2));
    await w.flush();
    assert.equal(openOn(path), 1, 'one descriptor, kept between the two batches');
    await until('the log closed after the idle time', () => openOn(path) === 0);
    assert.equal(parseAuditText(readFileSync(path, 'utf8')).events.length, 2);
    await w.close();
  },
);

test('a log removed by hand while the node was quiet is created again by the next event', async () => {
  const path = join(tempDir('audit-'), 'audit.log');
  const w = new AuditWriter({ path, idleCloseMs: 20, onProblem: assert.fail });
  w.record(terminal(1));
  await w.flush();
  await until('the log closed after the idle time', () => openOn(path) === 0);
  rmSync(path);
  w.record(terminal(2));
  await w.close();
  const events = parseAuditText(readFileSync(path, 'utf8')).events;
  assert.deepEqual(
    events.map((e) => e.what),
    ['terminal stream 2'],
  );
  assert.equal(statSync(path).mode & 0o777, 0o600);
});

// Refusals (audit/audit-noise.ts, issue 52 F1): anyone can provoke them, so they are written apart and
// in check — the first of a minute per peer in full, the rest counted in one line.

function refusal(n: number, fingerprint = 'c'.repeat(64)): AuditInput {
  return {
    kind: 'refused',
    peer: { name: 'rogue', fingerprint },
    service: `nosuch${n}`,
    what: `nosuch${n} stream`,
    outcome: 'refused',
    reason: `unknown service 'nosuch${n}'`,
  };
}

const countOf = (e: { kind: string; count?: number }) => e.count ?? 1;

test('a flood of refusals is written apart, the first few in full, then one line counting the rest', async () => {
  const dir = tempDir('audit-');
  const path = join(dir, 'audit.log');
  // The clock stands still until the test moves it: the window ends when the test says so.
  let clock = Date.parse('2026-01-02T03:04:05Z');
  const w = new AuditWriter({
    path,
    onProblem: assert.fail,
    now: () => clock,
    refusalLimits: { perSourcePerMinute: 5, perMinute: 100, windowMs: 100 },
  });
  w.record(terminal(1));
  for (let i = 0; i < 10_000; i++) w.record(refusal(i));
  await w.flush();
  const refusalsPath = join(dir, 'audit-refusals.log');
  const first = parseAuditText(readFileSync(refusalsPath, 'utf8')).events;
  assert.deepEqual(
    first.map((e) => e.what),
    [0, 1, 2, 3, 4].map((i) => `nosuch${i} stream`),
    'the first five in full, the rest held back',
  );
  clock += 100;
  await sleep(250, 'the window is over: its count is written without another event');
  await w.flush();
  const events = parseAuditText(readFileSync(refusalsPath, 'utf8')).events;
  assert.equal(events.length, 6);
  const summary = events.at(-1)!;
  assert.ok(summary.kind === 'refused', "summary.kind === 'refused'");
  assert.equal(summary.count, 9_995);
  assert.equal(summary.peer?.name, 'rogue');
  assert.equal(summary.service, 'nosuch9999', 'like the last one held back');
  assert.match(summary.what, /^9,995 more refusals of this peer in a minute \(the first 5 a minute/);
  assert.equal(
    events.reduce((n, e) => n + countOf(e as { kind: string; count?: number }), 0),
    10_000,
    'every refusal is accounted for',
  );
  // The log itself holds the terminal only.
  assert.deepEqual(
    parseAuditText(readFileSync(path, 'utf8')).events.map((e) => e.kind),
    ['terminal'],
  );
  await w.close();
});

test('no number of refusals rotates the log away: a terminal before them stays', async () => {
  const dir = tempDir('audit-');
  const path = join(dir, 'audit.log');
  const w = new AuditWriter({
    path,
    maxBytes: 1000,
    keep: 1,
    refusalsMaxBytes: 1000,
    refusalsKeep: 1,
    onProblem: assert.fail,
    // No limits to speak of: the file apart alone must keep the terminal.
    refusalLimits: { perSourcePerMinute: 1e9, perMinute: 1e9 },
  });
  w.record(terminal(1));
  for (let i = 0; i < 200; i++) {
    w.record(refusal(i));
    if (i % 20 === 0) await w.flush();
  }
  await w.close();
  assert.ok(existsSync(join(dir, 'audit-refusals.log.1')), 'the refusals rotated');
  assert.deepEqual(
    parseAuditText(readFileSync(path, 'utf8')).events.map((e) => e.what),
    ['terminal stream 1'],
  );
});

test('fresh identities share one budget: at most perMinute lines, the rest in one counted line', async () => {
  const dir = tempDir('audit-');
  const w = new AuditWriter({
    path: join(dir, 'audit.log'),
    onProblem: assert.fail,
    refusalLimits: { perSourcePerMinute: 2, perMinute: 10, windowMs: 60_000 },
  });
  for (let i = 0; i < 1000; i++) w.record(refusal(i, i.toString(16).padStart(64, '0')));
  await w.close(); // closing writes the counts held back
  const events = parseAuditText(readFileSync(join(dir, 'audit-refusals.log'), 'utf8')).events;
  assert.equal(events.length, 11, 'ten in full and one count');
  const last = events.at(-1)!;
  assert.ok(last.kind === 'refused', "last.kind === 'refused'");
  assert.equal(last.peer, undefined, 'the count is of several peers');
  assert.equal(last.count, 990);
  assert.match(last.what, /^990 more refusals of several peers or sources/);
});

test('refused pairing attempts from one relay are counted like refused streams', async () => {
  const dir = tempDir('audit-');
  const w = new AuditWriter({
    path: join(dir, 'audit.log'),
    onProblem: assert.fail,
    refusalLimits: { perSourcePerMinute: 3, windowMs: 60_000 },
  });
  for (let i = 0; i < 50; i++) {
    w.record({
      kind: 'pairing',
      role: 'new',
      step: 'refused',
      path: 'relay',
      address: 'wss://relay.example:7600',
      what: 'pairing attempt',
      outcome: 'refused',
      reason: 'rate-limited',
    });
  }
  // Not a refusal: a pairing that failed burns a code, so it is written in the log as it comes.
  w.record({ kind: 'pairing', role: 'new', step: 'failed', what: 'joined with a code', outcome: 'failed' });
  await w.close();
  const refusals = parseAuditText(readFileSync(join(dir, 'audit-refusals.log'), 'utf8')).events;
  assert.equal(refusals.length, 4);
  assert.equal(
    refusals.reduce((n, e) => n + countOf(e as { kind: string; count?: number }), 0),
    50,
  );
  assert.match(refusals.at(-1)!.what, /^47 more pairing attempts refused from here in a minute/);
  const main = parseAuditText(readFileSync(join(dir, 'audit.log'), 'utf8')).events;
  assert.deepEqual(
    main.map((e) => e.kind === 'pairing' && e.step),
    ['failed'],
  );
});

test('a listener refused to a peer is a refusal too; one opened stays in the log', async () => {
  const dir = tempDir('audit-');
  const w = new AuditWriter({
    path: join(dir, 'audit.log'),
    onProblem: assert.fail,
    refusalLimits: { perSourcePerMinute: 2 },
  });
  const listener = (outcome: 'ok' | 'refused'): AuditInput => ({
    kind: 'listener',
    phase: 'opened',
    peer,
    what: 'listen on 0.0.0.0:22',
    outcome,
  });
  w.record(listener('ok'));
  for (let i = 0; i < 30; i++) w.record(listener('refused'));
  await w.close();
  const refusals = parseAuditText(readFileSync(join(dir, 'audit-refusals.log'), 'utf8')).events;
  assert.deepEqual(
    refusals.map((e) => countOf(e as { kind: string; count?: number })),
    [1, 1, 28],
  );
  assert.match(refusals.at(-1)!.what, /^28 more listeners refused to this peer in a minute/);
  const main = parseAuditText(readFileSync(join(dir, 'audit.log'), 'utf8')).events;
  assert.deepEqual(
    main.map((e) => e.outcome),
    ['ok'],
  );
});
