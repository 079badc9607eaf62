/**
 * The receives with a code an agent runs for `file receive` (code-receives.ts, ADR 0125), with the
 * receive itself faked: what the list and the `changed` events say as one meets its sender, moves on,
 * says something and ends; a cancel reaches the receive as its signal; the agent's stop cancels every
 * one; and the number running at once is bounded.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { ClawError } from '../../../src-main/core/errors.js';
import type { CodeReceiveOptions, CodeReceiveResult } from '../../../src-main/files/code-receiver.js';
import { CodeReceives, MAX_RUNNING_CODE_RECEIVES } from '../../../src-main/files/code-receives.js';
import type { CodeReceiveInfo, TransferInfo } from '../../../src-main/files/files-contract.js';

const sender = { name: 'laptop', fingerprint: 'a'.repeat(64) };
const view = (over: Partial<TransferInfo> = {}): TransferInfo => ({
  id: 'f'.repeat(32),
  direction: 'in',
  peer: sender,
  state: 'receiving',
  files: 1,
  bytes: 100,
  filesDone: 0,
  bytesDone: 0,
  rate: 0,
  names: ['a.bin'],
  startedAt: '2026-11-30T12:00:00.000Z',
  ...over,
});

/** A receive the test drives: each call's options, and how to end it. */
function fakeReceive() {
  const calls: Array<{
    opts: CodeReceiveOptions;
    finish(r: CodeReceiveResult): void;
    fail(e: Error): void;
  }> = [];
  const receive = (opts: CodeReceiveOptions) =>
    new Promise<CodeReceiveResult>((resolve, reject) => {
      calls.push({ opts, finish: resolve, fail: reject });
      opts.signal?.addEventListener('abort', () => reject(new ClawError('TRANSFER_FAILED', 'cancelled')));
    });
  return { calls, receive };
}

const settle = () => new Promise((r) => setImmediate(r));

test('a receive is listed meeting, then receiving with who sends and what, its progress and notes, then done with what moved', async () => {
  const fake = fakeReceive();
  const receives = new CodeReceives({ receive: fake.receive, log: pino({ level: 'silent' }), now: () => 0 });
  const seen: CodeReceiveInfo[] = [];
  receives.events.on('changed', (r) => seen.push(r));
  const started = receives.start({ text: 'K7QX-M2RT-9WZA', dir: '/tmp/to', relay: { url: 'wss://r' } });
  assert.equal(started.state, 'meeting');
  const call = fake.calls[0]!;
  assert.equal(call.opts.dir, '/tmp/to');
  assert.deepEqual(call.opts.relay, { url: 'wss://r' });

  call.opts.on!.met!(
    { ...sender, offer: { t: 'ready', names: ['a.bin'], files: 1, bytes: 100 } } as never,
    'b'.repeat(64),
  );
  call.opts.on!.progress!(view({ bytesDone: 40 }));
  for (let i = 0; i < 25; i++) call.opts.on!.note!(`note ${i}`);
  const moved = { moved: [{ id: 'x', name: 'a.bin', to: '/tmp/to/a.bin' }], skipped: [], notKept: [] };
  call.finish({ sender, transfer: view({ state: 'done', bytesDone: 100, filesDone: 1 }), moved });
  await settle();

  const [r] = receives.list();
  assert.equal(r!.state, 'done');
  assert.deepEqual(r!.from, sender);
  assert.equal(r!.own, 'b'.repeat(64));
  assert.deepEqual(r!.offer, { names: ['a.bin'], files: 1, bytes: 100 });
  assert.deepEqual(r!.moved, moved);
  assert.equal(r!.progress!.state, 'done');
  assert.equal(r!.noteCount, 25, 'every note counted');
  assert.deepEqual(
    r!.notes,
    Array.from({ length: 20 }, (_, i) => `note ${i + 5}`),
    'the last 20 kept',
  );
  assert.deepEqual(
    seen.map((s) => s.state).filter((s, i, all) => s !== all[i - 1]),
    ['receiving', 'done'],
  );
  assert.equal(seen.find((s) => s.progress?.bytesDone === 40)?.state, 'receiving', 'progress was told');
});

test('a receive that fails says why; a cancel aborts it and it ends cancelled; an unknown id is refused', async () => {
  const fake = fakeReceive();
  const receives = new CodeReceives({ receive: fake.receive, log: pino({ level: 'silent' }) });
  const a = receives.start({ text: 'x', dir: '/tmp/a' });
  const b = receives.start({ text: 'y', dir: '/tmp/b' });
  fake.calls[0]!.fail(new ClawError('BAD_PAIR_CODE', 'nobody is waiting for that code'));
  receives.cancel(b.id);
  await settle();
  const byId = new Map(receives.list().map((r) => [r.id, r]));
  assert.equal(byId.get(a.id)!.state, 'failed');
  assert.match(byId.get(a.id)!.why!, /nobody is waiting/);
  assert.equal(byId.get(b.id)!.state, 'cancelled');
  assert.equal(fake.calls[1]!.opts.signal!.aborted, true, 'the receive was told through its signal');
  assert.throws(() => receives.cancel('nope'), /no receive with a code nope/);
});

test('the agent stopping cancels every running receive and takes no new one; at most MAX_RUNNING_CODE_RECEIVES run at once', async () => {
  const fake = fakeReceive();
  const receives = new CodeReceives({ receive: fake.receive, log: pino({ level: 'silent' }) });
  for (let i = 0; i < MAX_RUNNING_CODE_RECEIVES; i++) receives.start({ text: `c${i}`, dir: `/tmp/${i}` });
  assert.throws(
    () => receives.start({ text: 'one more', dir: '/tmp/x' }),
    /receives with a code run here already/,
  );
  receives.stop();
  await settle();
  assert.ok(
    receives.list().every((r) => r.state === 'cancelled' && r.why === 'the agent stopped'),
    JSON.stringify(receives.list().map((r) => [r.state, r.why])),
  );
  assert.throws(() => receives.start({ text: 'late', dir: '/tmp/y' }), /the agent is stopping/);
});
