/**
 * The store: one subscription; the status event replaces the snapshot without a fetch; `changed` reads
 * only what it names and the status event does not carry (settings), a burst of them costing exactly
 * two reads; a reconnect re-reads everything; and whatever order answers and pushes arrive in, an older
 * one never replaces a newer one (the agent's `seq`, versions.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChangedEvent, StatusEvent } from '../../../src-main/api/contract.js';
import { ApiClient } from '../../../src-renderer/api/client.js';
import { FakeTransport } from '../../../src-renderer/api/fake-transport.js';
import { AgentStore } from '../../../src-renderer/api/store.js';

const status = (name: string) => ({
  name,
  fingerprint: 'ab'.repeat(32),
  listen: null,
  relays: [],
  peers: [],
});
const settings = (terminalResumeMs = 60_000) => ({
  name: 'a',
  fingerprint: 'ab'.repeat(32),
  relays: [],
  actAsRelay: false,
  relayListen: '',
  listen: null,
  listeningOn: null,
  terminalResumeMs,
  notifications: true,
});
const push = (seq: number, name: string): StatusEvent => ({
  seq,
  status: status(name),
  pending: [],
  forwards: [],
  proxies: [],
});
const changed = (seq: number, ...domains: ChangedEvent['domains']): ChangedEvent => ({ seq, domains });

/** An answer the test lets through when it wants: `release(value)`. */
function held<T>() {
  let release!: (value: T) => void;
  const promise = new Promise<T>((r) => (release = r));
  return { promise, release };
}

/** A fake agent; `answers.status` / `answers.settings` answer the next reads (a value or a held promise). */
function fake(state: 'connected' | 'connecting' = 'connecting') {
  const answers = {
    status: [] as (ReturnType<typeof status> | Promise<ReturnType<typeof status>>)[],
    settings: [] as (ReturnType<typeof settings> | Promise<ReturnType<typeof settings>>)[],
  };
  const t = new FakeTransport({ kind: state })
    .on('status', () => answers.status.shift() ?? status('a'))
    .on('pending.list', () => [])
    .on('forward.list', () => [])
    .on('proxy.list', () => [])
    .on('settings.get', () => answers.settings.shift() ?? settings())
    .on('settings.set', (p) => ({
      ...settings((p as { terminalResumeMs: number }).terminalResumeMs),
      restartNeeded: false,
      restartFor: [],
    }));
  const reads = (method: string) => t.calls.filter((c) => c.method === method).length;
  return { t, answers, reads };
}

// eslint-disable-next-line clawbridge/no-fixed-sleep -- a turn of the event loop, not a sleep: the fake transport answers on a later one
const tick = () => new Promise((r) => setTimeout(r, 0));
const settle = async () => {
  for (let i = 0; i < 10; i++) await tick();
};

test('reads everything once connected, and again after a reconnect', async () => {
  const { t, reads } = fake();
  const store = new AgentStore(new ApiClient(t));
  assert.equal(store.get().status, null);
  t.setState({ kind: 'connected' });
  await settle();
  assert.equal(store.get().status?.name, 'a');
  assert.equal(store.get().settings?.terminalResumeMs, 60_000);
  t.setState({ kind: 'reconnecting', retryInMs: 500, reason: 'closed' });
  assert.equal(store.get().connection.kind, 'reconnecting');
  t.setState({ kind: 'connected' });
  await settle();
  assert.equal(reads('status'), 2);
  assert.equal(reads('settings.get'), 2);
});

test('a status event replaces the snapshot without a request', () => {
  const { t } = fake();
  const store = new AgentStore(new ApiClient(t));
  let renders = 0;
  store.subscribe(() => renders++);
  t.emit('status', push(1, 'renamed'));
  assert.equal(store.get().status?.name, 'renamed');
  assert.equal(t.calls.length, 0);
  assert.equal(renders, 1);
});

test('changed reads only what it names and the status event does not carry', async () => {
  const { t, reads } = fake('connected');
  new AgentStore(new ApiClient(t));
  await settle();
  const before = t.calls.length;
  t.emit('changed', changed(1, 'peers', 'pending', 'forwards', 'proxies'));
  await settle();
  assert.equal(t.calls.length, before, 'all of that comes with the status event that follows');
  t.emit('changed', changed(2, 'settings'));
  await settle();
  t.emit('changed', changed(3, 'relays'));
  await settle();
  assert.deepEqual(
    t.calls.slice(before).map((c) => c.method),
    ['settings.get', 'settings.get'],
    'settings, and the relays as settings show them',
  );
  assert.equal(reads('status'), 1);
});

test('a changed event from an agent that does not name what changed reads everything', async () => {
  const { t, reads } = fake('connected');
  new AgentStore(new ApiClient(t));
  await settle();
  t.emit('changed', {});
  await settle();
  assert.equal(reads('status'), 2);
  assert.equal(reads('settings.get'), 2);
});

test('a burst of changed events costs exactly two reads, not one each', async () => {
  const { t, answers, reads } = fake('connected');
  new AgentStore(new ApiClient(t));
  await settle();
  const gate = held<ReturnType<typeof settings>>();
  answers.settings.push(gate.promise);
  for (let i = 1; i <= 10; i++) t.emit('changed', changed(i, 'peers', 'settings'));
  gate.release(settings());
  await settle();
  assert.equal(reads('settings.get'), 1 + 2, 'the first of the burst, and one for all the others');
  assert.equal(reads('status'), 1, 'only the first read on connecting');
});

test('an older read never replaces a newer snapshot: a push that lands while a read is out wins', async () => {
  const { t, answers } = fake('connected');
  const gate = held<ReturnType<typeof status>>();
  answers.status.push(gate.promise);
  const store = new AgentStore(new ApiClient(t));
  // The read on connecting is out; the agent changes and pushes; then the read's older answer lands.
  t.emit('status', push(5, 'pushed'));
  gate.release(status('read before the push'));
  await settle();
  assert.equal(store.get().status?.name, 'pushed');
  assert.equal(store.get().loadError, null);
  // A read sent after that push is at least as new: it is taken, until a later push.
  answers.status.push(status('read after the push'));
  await store.refresh();
  assert.equal(store.get().status?.name, 'read after the push');
  t.emit('status', push(5, 'the same push again'));
  assert.equal(store.get().status?.name, 'read after the push', 'not older than the read');
  t.emit('status', push(6, 'later'));
  assert.equal(store.get().status?.name, 'later');
});

test('an older settings read never replaces what saveSettings brought', async () => {
  const { t, answers } = fake('connected');
  const store = new AgentStore(new ApiClient(t));
  await settle();
  const gate = held<ReturnType<typeof settings>>();
  answers.settings.push(gate.promise);
  t.emit('changed', changed(1, 'settings'));
  t.emit('status', push(1, 'a'));
  await store.saveSettings({ terminalResumeMs: 5_000 });
  assert.equal(store.get().settings?.terminalResumeMs, 5_000);
  gate.release(settings(60_000));
  await settle();
  assert.equal(store.get().settings?.terminalResumeMs, 5_000);
});

test('a restarted agent counts from 1 again, and its pushes are taken', () => {
  const { t } = fake();
  const store = new AgentStore(new ApiClient(t));
  t.emit('status', push(40, 'old agent'));
  t.emit('status', push(1, 'new agent'));
  assert.equal(store.get().status?.name, 'new agent');
  t.emit('status', push(2, 'new agent, later'));
  assert.equal(store.get().status?.name, 'new agent, later');
});

test('a failed read is kept as the error to show, and the old state stays', async () => {
  const t = new FakeTransport().on('status', () => {
    throw new Error('agent busy');
  });
  const store = new AgentStore(new ApiClient(t));
  await store.refresh();
  assert.match(store.get().loadError ?? '', /no fake for|agent busy/);
  assert.equal(store.get().status, null);
});
