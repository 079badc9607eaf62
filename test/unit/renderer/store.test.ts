/**
 * The store: one subscription; the status event replaces the snapshot without a fetch; a burst of
 * `changed` costs two reads, not one per event; a reconnect re-reads everything.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StatusEvent } from '../../../src-main/api/contract.js';
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
const settings = {
  name: 'a',
  fingerprint: 'ab'.repeat(32),
  relays: [],
  actAsRelay: false,
  relayListen: '',
  listen: null,
  listeningOn: null,
  terminalResumeMs: 60_000,
  notifications: true,
};

function fake() {
  let gate: Promise<void> = Promise.resolve();
  const t = new FakeTransport({ kind: 'connecting' })
    .on('status', () => gate.then(() => status('a')))
    .on('pending.list', () => [])
    .on('forward.list', () => [])
    .on('proxy.list', () => [])
    .on('settings.get', () => settings);
  return { t, hold: (p: Promise<void>) => (gate = p) };
}

const tick = () => new Promise((r) => setTimeout(r, 0));
const settle = async () => {
  for (let i = 0; i < 10; i++) await tick();
};
const reads = (t: FakeTransport) => t.calls.filter((c) => c.method === 'status').length;

test('reads everything once connected, and again after a reconnect', async () => {
  const { t } = fake();
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
  assert.equal(reads(t), 2);
});

test('a status event replaces the snapshot without a request', () => {
  const { t } = fake();
  const store = new AgentStore(new ApiClient(t));
  let renders = 0;
  store.subscribe(() => renders++);
  const event: StatusEvent = { status: status('renamed'), pending: [], forwards: [], proxies: [] };
  t.emit('status', event);
  assert.equal(store.get().status?.name, 'renamed');
  assert.equal(t.calls.length, 0);
  assert.equal(renders, 1);
});

test('a burst of changed events costs two reads, not one each', async () => {
  const { t, hold } = fake();
  t.setState({ kind: 'connected' });
  const store = new AgentStore(new ApiClient(t));
  let release!: () => void;
  void hold(new Promise<void>((r) => (release = r)));
  for (let i = 0; i < 10; i++) t.emit('changed', {});
  release();
  await store.refresh();
  await tick();
  await tick();
  assert.ok(reads(t) <= 3, `read ${reads(t)} times`);
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
