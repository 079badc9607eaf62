/**
 * The engine the introductions and the groups' exchange run on (services/peer-exchanges.ts,
 * services/exchange-lines.ts, ADR 0117), on a fake clock: a peer's state (idle, running, retrying),
 * what an exchange's end leads to (done, wait, retry, back-off), `heard`, the rate a peer may start
 * exchanges at, the timeout of an open (ClawError TIMEOUT), the sweep, and the line reader's bounds.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { ClawError } from '../../../src-main/core/errors.js';
import { readLines } from '../../../src-main/services/exchange-lines.js';
import { openWithin, PeerExchanges, type ExchangeNext } from '../../../src-main/services/peer-exchanges.js';
import { fakeClock, type FakeClock } from '../../helpers/fake-clock.js';

interface Peer {
  fingerprint: string;
  link: object | undefined;
  wanted: boolean;
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * An engine over `peers` on `clock`; each exchange waits until the test ends it with `finish(next)`
 * or `fail(err)`; `runs` counts the exchanges started per peer.
 */
function harness(
  peers: Peer[],
  clock: FakeClock,
  failed: (err: unknown) => ExchangeNext = () => ({ then: 'wait' }),
) {
  const runs = new Map<string, number>();
  const open: { fp: string; finish: (next: ExchangeNext) => void; fail: (err: Error) => void }[] = [];
  let looks = 0;
  const engine = new PeerExchanges<Peer>(
    {
      what: 'test exchange',
      sweepMs: 5_000,
      log: { warn: (line) => assert.fail(`no exchange throws past its handler: ${line}`) },
      peers: () => {
        looks++;
        return peers;
      },
      linkOf: (p) => p.link,
      nameOf: (p) => p.fingerprint,
      wants: (p) => p.wanted,
      exchange: (p) =>
        new Promise<ExchangeNext>((finish, fail) => {
          runs.set(p.fingerprint, (runs.get(p.fingerprint) ?? 0) + 1);
          open.push({ fp: p.fingerprint, finish, fail });
        }),
      failed: (_p, err) => failed(err),
    },
    clock,
  );
  /** Ends the oldest exchange still open with `next`, and lets the engine take it in. */
  const finish = async (next: ExchangeNext) => {
    const first = open.shift();
    assert.ok(first, 'an exchange is open to finish');
    first.finish(next);
    await settle();
  };
  const fail = async (err: Error) => {
    const first = open.shift();
    assert.ok(first, 'an exchange is open to fail');
    first.fail(err);
    await settle();
  };
  return { engine, runs: (fp: string) => runs.get(fp) ?? 0, open, finish, fail, looks: () => looks };
}

test('a peer with a link exchanges once per link, and again when it has news', async () => {
  const clock = fakeClock();
  const b: Peer = { fingerprint: 'b', link: {}, wanted: true };
  const h = harness([b], clock);
  assert.equal(h.engine.stateOf('b').kind, 'idle', 'a peer never seen is idle');
  h.engine.check();
  assert.equal(h.engine.stateOf('b').kind, 'running', 'a new link starts an exchange');
  h.engine.check();
  assert.equal(h.runs('b'), 1, 'one exchange at a time per peer');
  await h.finish({ then: 'done' });
  assert.equal(h.engine.stateOf('b').kind, 'idle', 'idle once done');
  h.engine.check();
  assert.equal(h.runs('b'), 1, 'the same link and no news: no second exchange');
  h.engine.markDirty(['b']);
  await settle();
  assert.equal(h.runs('b'), 2, 'news starts one (in a microtask)');
  await h.finish({ then: 'done' });
  b.link = {};
  h.engine.check();
  assert.equal(h.runs('b'), 3, 'a new link starts one');
  await h.finish({ then: 'done' });
  // News that comes while an exchange runs is heard by another one right after it.
  h.engine.markDirty(['b']);
  await settle();
  h.engine.markDirty(['b']);
  await h.finish({ then: 'done' });
  assert.equal(h.runs('b'), 5, 'news during a run starts the next one when it ends');
  await h.finish({ then: 'done' });
  h.engine.stop();
});

test('a peer not wanted, or with no link, does not exchange, and its news is dropped', async () => {
  const clock = fakeClock();
  const c: Peer = { fingerprint: 'c', link: {}, wanted: false };
  const d: Peer = { fingerprint: 'd', link: undefined, wanted: true };
  const h = harness([c, d], clock);
  h.engine.markDirty(['c', 'd']);
  await settle();
  assert.equal(h.runs('c') + h.runs('d'), 0, 'no exchange with either');
  assert.equal(h.engine.stateOf('c').dirty, false, "c's news dropped: it is not wanted");
  assert.equal(h.engine.stateOf('d').dirty, true, "d's news kept for its link");
  d.link = {};
  h.engine.check();
  assert.equal(h.runs('d'), 1, 'd exchanges once it has a link');
  await h.finish({ then: 'done' });
  h.engine.stop();
});

test('a retry waits its time in `retrying`, then exchanges again; `wait` waits for news', async () => {
  const clock = fakeClock();
  const b: Peer = { fingerprint: 'b', link: {}, wanted: true };
  const h = harness([b], clock);
  h.engine.check();
  await h.finish({ then: 'retry', afterMs: 2_000 });
  const s = h.engine.stateOf('b');
  assert.equal(s.kind, 'retrying', 'retrying after a retry');
  assert.equal(s.kind === 'retrying' && s.dueAt, 2_000, 'due in 2 s');
  h.engine.markDirty(['b']);
  b.link = {};
  h.engine.check();
  await settle();
  assert.equal(h.runs('b'), 1, 'nothing starts while retrying, not even news or a new link');
  clock.advance(1_999);
  assert.equal(h.runs('b'), 1, 'not before its time');
  clock.advance(1);
  assert.equal(h.runs('b'), 2, 'again at its time');
  await h.finish({ then: 'wait' });
  assert.equal(h.engine.stateOf('b').kind, 'idle', 'idle after wait');
  clock.advance(60_000);
  h.engine.check();
  assert.equal(h.runs('b'), 2, '`wait`: nothing more on the same link without news');
  h.engine.stop();
});

test('a back-off doubles up to its cap while it repeats; done and `heard` start it over', async () => {
  const clock = fakeClock();
  const b: Peer = { fingerprint: 'b', link: {}, wanted: true };
  const h = harness([b], clock, () => ({ then: 'back-off', firstMs: 5_000, maxMs: 30_000 }));
  const waits: number[] = [];
  h.engine.check();
  for (let i = 0; i < 5; i++) {
    const at = clock.now();
    await h.fail(new ClawError('STREAM_REJECTED', 'not marked', { refusal: 'PERMISSION_DENIED' }));
    const s = h.engine.stateOf('b');
    assert.equal(s.kind, 'retrying', `retrying after refusal ${i + 1}`);
    waits.push(s.kind === 'retrying' ? s.dueAt - at : -1);
    clock.advance(waits.at(-1)!);
  }
  assert.deepEqual(waits, [5_000, 10_000, 20_000, 30_000, 30_000], 'the waits, capped at 30 s');
  await h.finish({ then: 'done' });
  assert.equal(h.engine.stateOf('b').backoffMs, undefined, 'done starts the back-off over');
  // `heard` (the peer's own exchange went both ways) cancels a retry waiting and starts over.
  h.engine.markDirty(['b']);
  await settle();
  await h.fail(new ClawError('STREAM_REJECTED', 'not marked', { refusal: 'PERMISSION_DENIED' }));
  assert.equal(h.engine.stateOf('b').kind, 'retrying', 'retrying before it is heard');
  const link = {};
  h.engine.heard('b', link);
  const s = h.engine.stateOf('b');
  assert.deepEqual(
    { kind: s.kind, dirty: s.dirty, backoffMs: s.backoffMs, same: s.lastLink === link },
    { kind: 'idle', dirty: false, backoffMs: undefined, same: true },
    'heard: idle, nothing to hear, back-off over, on that link',
  );
  assert.equal(clock.pending(), 0, 'the retry timer is gone');
  h.engine.stop();
});

test('a peer may start at most so many exchanges a minute, counted in its state', () => {
  const clock = fakeClock(1_000_000);
  const h = harness([], clock);
  const admitted = Array.from({ length: 4 }, () => h.engine.admit('b', 3));
  assert.deepEqual(admitted, [true, true, true, false], 'three a minute, the fourth refused');
  assert.equal(h.engine.admit('c', 3), true, 'another peer counts apart');
  clock.advance(59_999);
  assert.equal(h.engine.admit('b', 3), false, 'still refused within the minute');
  clock.advance(1);
  assert.equal(h.engine.admit('b', 3), true, 'admitted once the first start is a minute old');
  // A window of the caller's own, in the same state.
  h.engine.note('b', 'introduced', 3600_000, 5);
  clock.advance(3599_999);
  assert.equal(h.engine.recent('b', 'introduced', 3600_000), 5, 'five within the hour');
  clock.advance(1);
  assert.equal(h.engine.recent('b', 'introduced', 3600_000), 0, 'none once the hour is over');
});

test('an open that does not answer in time fails with ClawError TIMEOUT; a late stream is closed', async () => {
  const clock = fakeClock();
  let opened!: (v: { stream: PassThrough }) => void;
  const late = openWithin(
    new Promise<{ stream: PassThrough }>((resolve) => (opened = resolve)),
    5_000,
    clock,
  );
  clock.advance(5_000);
  await assert.rejects(
    late,
    (err: unknown) => err instanceof ClawError && err.code === 'TIMEOUT' && /within 5 s/.test(err.message),
    'a TIMEOUT ClawError after 5 s',
  );
  const stream = new PassThrough();
  opened({ stream });
  await settle();
  assert.ok(stream.destroyed, 'the stream that opened too late is closed');
  const inTime = new PassThrough();
  const quick = openWithin(Promise.resolve({ stream: inTime }), 5_000, clock);
  assert.equal((await quick).stream, inTime, 'an open in time is the stream');
  assert.equal(clock.pending(), 0, 'no timer left behind');
});

test('the sweep looks the peers over every sweepMs while asked to, and stop ends every timer', async () => {
  const clock = fakeClock();
  const b: Peer = { fingerprint: 'b', link: {}, wanted: true };
  const h = harness([b], clock);
  h.engine.sweepWhile(true);
  h.engine.sweepWhile(true);
  let before = h.looks();
  clock.advance(5_000 * 3);
  assert.equal(h.looks() - before, 3, 'a look every 5 s (asked twice, one sweep)');
  h.engine.sweepWhile(false);
  before = h.looks();
  clock.advance(5_000 * 3);
  assert.equal(h.looks() - before, 0, 'no look once not asked');
  await h.finish({ then: 'retry', afterMs: 2_000 });
  h.engine.sweepWhile(true);
  assert.equal(clock.pending(), 2, 'a sweep and a retry set');
  h.engine.stop();
  assert.equal(clock.pending(), 0, 'stop ends them');
  assert.equal(h.engine.stateOf('b').kind, 'idle', 'a retry stopped is idle');
  h.engine.sweepWhile(true);
  assert.equal(clock.pending(), 0, 'no sweep after stop');
});

test('the line reader refuses a side past its bounds, a bad line, a last line with no newline, or time', async () => {
  const clock = fakeClock();
  const bounds = { noun: 'record', maxLines: 2, maxLineBytes: 8, timeoutMs: 5_000 };
  const read = (chunks: string[], end = true) => {
    const stream = new PassThrough();
    const got: string[] = [];
    const result = readLines(stream, bounds, (t) => (t === 'bad' ? 'not a record' : void got.push(t)), clock);
    for (const c of chunks) stream.write(c);
    if (end) stream.end();
    return { result, got };
  };
  const ok = read(['a\nb', 'c\n']);
  assert.deepEqual(await ok.result, { lines: 2 }, 'two lines, one split over two chunks');
  assert.deepEqual(ok.got, ['a', 'bc'], 'each line given whole');
  assert.deepEqual(await read(['a\nb\nc\n']).result, { problem: 'more than 2 records' }, 'too many');
  assert.deepEqual(await read(['123456789']).result, { problem: 'a record longer than 8 bytes' }, 'too long');
  assert.deepEqual(await read(['bad\n']).result, { problem: 'record 1: not a record' }, 'refused by take');
  assert.deepEqual(await read(['a']).result, { problem: 'a last record without its newline' }, 'no newline');
  const slow = read(['a\n'], false);
  clock.advance(5_000);
  assert.deepEqual(await slow.result, { problem: 'no end within 5 s' }, 'no end in time');
});
