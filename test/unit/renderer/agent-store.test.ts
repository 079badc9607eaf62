/**
 * The helper every feature store of the window is made with (src-renderer/api/agent-store.ts), against
 * a fake agent: read once on connecting however many read it, kept live by its typed events with no
 * request, no read for an event it does not follow or a peer's change, a failed read an error state
 * that says what could not be read (an older agent's unknown method `unsupported`), a change made
 * while a read runs applied again to its answer, reads asked for during one collapsed into one more,
 * an event its change cannot take changing nothing, and one transport subscription per client.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TransferInfo } from '../../../src-main/files/files-contract.js';
import { agentStore, when } from '../../../src-renderer/api/agent-store.js';
import { ApiClient } from '../../../src-renderer/api/client.js';
import { FakeTransport } from '../../../src-renderer/api/fake-transport.js';
import { ApiError, type EventListener } from '../../../src-renderer/api/transport.js';
import { until } from '../../helpers/wait.js';

interface Held {
  transfers: string[];
}

const transfer = (id: string): TransferInfo =>
  ({ id, state: 'sending', startedAt: '2026-11-29T10:00:00.000Z' }) as TransferInfo;

/** A store of transfer ids, read with `files.transfers` and kept live by `file.transfer`. */
function make(transport: FakeTransport) {
  return agentStore<Held>(new ApiClient(transport), {
    initial: { transfers: [] },
    what: 'the transfers',
    load: async (call) => ({ transfers: (await call('files.transfers', {})).map((t) => t.id) }),
    events: [
      when('file.transfer', (s, t) => ({
        transfers: s.transfers.includes(t.id) ? s.transfers : [...s.transfers, t.id],
      })),
    ],
  });
}

const reads = (t: FakeTransport) => t.calls.filter((c) => c.method === 'files.transfers').length;

function later<T>() {
  let release!: (value: T) => void;
  const promise = new Promise<T>((r) => (release = r));
  return { promise, release };
}

test('read once on connecting, however many views read it; its events update it with no request', async () => {
  const t = new FakeTransport({ kind: 'connecting' }).on('files.transfers', () => [transfer('a')]);
  const store = make(t);
  const renders: number[] = [];
  for (let view = 0; view < 5; view++) store.subscribe(() => renders.push(view));
  assert.equal(store.get().phase, 'loading', 'nothing read before connecting');
  assert.equal(reads(t), 0, 'no read before connecting');
  t.setState({ kind: 'connected' });
  await until('the first read answered', () => store.get().phase === 'ready', 2_000);
  assert.deepEqual(store.get().transfers, ['a'], 'the answer is held');
  assert.equal(reads(t), 1, 'five views, one read');
  const before = store.get();
  t.emit('file.transfer', transfer('b'));
  assert.deepEqual(store.get().transfers, ['a', 'b'], 'the event is taken');
  assert.notEqual(store.get(), before, 'a change is a new snapshot, so React renders');
  const now = store.get();
  assert.equal(store.get(), now, 'the same snapshot until something changes');
  assert.equal(reads(t), 1, 'an event costs no read');
});

test('no read for what it does not follow: other events, status pushes, peers changing', async () => {
  const t = new FakeTransport().on('files.transfers', () => [transfer('a')]);
  const store = make(t);
  await until('the first read answered', () => store.get().phase === 'ready', 2_000);
  const held = store.get();
  t.emit('message', { id: 'm1' });
  t.emit('status', {
    status: { fingerprint: 'f'.repeat(64), peers: [] },
    pending: [],
    forwards: [],
    proxies: [],
  });
  t.emit('changed', { domains: ['peers'], seq: 3 });
  t.emit('groups.changed', { groups: [] });
  assert.equal(reads(t), 1, 'no read again');
  assert.equal(store.get(), held, 'nothing changed, not even the snapshot');
  t.setState({ kind: 'reconnecting', retryInMs: 100, reason: 'closed' });
  t.setState({ kind: 'connected' });
  await until('a reconnect reads again', () => reads(t) === 2, 2_000);
});

test('a failed read is an error state that says what failed; an unknown method is unsupported', async () => {
  const t = new FakeTransport().on('files.transfers', () => {
    throw new ApiError('SERVICE_FAILED', 'the file inbox is not open yet; try again');
  });
  const store = make(t);
  await until('the read failed', () => store.get().phase !== 'loading', 2_000);
  assert.equal(store.get().phase, 'error');
  assert.equal(
    store.get().error,
    'Could not read the transfers: the file inbox is not open yet; try again',
    'the line names what could not be read and why',
  );
  t.on('files.transfers', () => {
    throw new ApiError('BAD_ARGUMENT', "unknown method 'files.transfers'");
  });
  await store.refresh();
  assert.deepEqual(
    { phase: store.get().phase, error: store.get().error },
    { phase: 'unsupported', error: null },
  );
  t.on('files.transfers', () => [transfer('a')]);
  await store.refresh();
  assert.deepEqual(
    { phase: store.get().phase, error: store.get().error, transfers: store.get().transfers },
    { phase: 'ready', error: null, transfers: ['a'] },
  );
});

test('a change that lands while a read runs survives its older answer; reads asked for meanwhile run once', async () => {
  const t = new FakeTransport({ kind: 'connecting' });
  const answers = [later<TransferInfo[]>(), later<TransferInfo[]>()];
  let n = 0;
  t.on('files.transfers', () => answers[n++]!.promise);
  const store = make(t);
  t.setState({ kind: 'connected' });
  await until('the read is out', () => reads(t) === 1, 2_000);
  t.emit('file.transfer', transfer('during'));
  store.update((s) => ({ transfers: [...s.transfers, 'sent-here'] }));
  const asked = [store.refresh(), store.refresh(), store.refresh()];
  answers[0]!.release([transfer('old')]);
  await until('the second read is out', () => reads(t) === 2, 2_000);
  assert.deepEqual(
    store.get().transfers,
    ['old', 'during', 'sent-here'],
    'the answer, then what came while it was out',
  );
  answers[1]!.release([transfer('new')]);
  await Promise.all(asked);
  assert.equal(reads(t), 2, 'three refreshes during a read: one more read');
  assert.deepEqual(store.get().transfers, ['new'], 'the newer read replaces what was held');
});

test("an event its change cannot take changes nothing, and the event's other listeners still get it", async () => {
  const t = new FakeTransport().on('files.transfers', () => []);
  const client = new ApiClient(t);
  const store = agentStore<Held>(client, {
    initial: { transfers: [] },
    what: 'the transfers',
    load: () => Promise.resolve({ transfers: [] }),
    events: [when('file.transfer', (s, tr) => ({ transfers: [...s.transfers, tr.id.toUpperCase()] }))],
  });
  await until('read', () => store.get().phase === 'ready', 2_000);
  const others: unknown[] = [];
  client.on('file.transfer', (d) => others.push(d));
  const warn = console.warn;
  const warned: string[] = [];
  console.warn = (line: string) => warned.push(line);
  try {
    t.emit('file.transfer', { id: 7 });
  } finally {
    console.warn = warn;
  }
  assert.deepEqual(store.get().transfers, [], 'nothing taken');
  assert.equal(others.length, 1, 'the next listener got the event');
  assert.match(warned[0] ?? '', /could not take a file\.transfer event/, 'the drop is said');
  t.emit('file.transfer', transfer('ok'));
  assert.deepEqual(store.get().transfers, ['OK'], 'the store goes on taking events');
});

test('a client makes one transport subscription, whatever the stores and event kinds', () => {
  class Counting extends FakeTransport {
    subscriptions = 0;
    override subscribe(listener: EventListener) {
      this.subscriptions++;
      return super.subscribe(listener);
    }
  }
  const t = new Counting().on('files.transfers', () => []);
  const client = new ApiClient(t);
  const got: string[] = [];
  const offs = [
    client.on('file.transfer', (d) => got.push(`a:${d.id}`)),
    client.on('file.transfer', (d) => got.push(`b:${d.id}`)),
    client.on('message', (m) => got.push(`m:${m.id}`)),
  ];
  t.emit('file.transfer', transfer('x'));
  offs[0]!();
  t.emit('file.transfer', transfer('y'));
  assert.deepEqual(got, ['a:x', 'b:x', 'b:y'], 'each listener gets its kind until it stops');
  assert.equal(t.subscriptions, 1, 'one subscription to the transport');
});

test("what replaces a part (replace) is not applied again to a read's answer that came after it", async () => {
  const t = new FakeTransport({ kind: 'connecting' });
  const answer = later<TransferInfo[]>();
  t.on('files.transfers', () => answer.promise);
  const store = make(t);
  t.setState({ kind: 'connected' });
  await until('the read is out', () => reads(t) === 1, 2_000);
  store.replace(() => ({ transfers: ['read-apart'] }));
  assert.deepEqual(store.get().transfers, ['read-apart'], 'shown at once');
  answer.release([transfer('newer')]);
  await until('the answer is taken', () => store.get().phase === 'ready', 2_000);
  assert.deepEqual(store.get().transfers, ['newer'], 'the answer stands');
});
