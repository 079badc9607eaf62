/**
 * The relay clients follow the store (relays.ts; docs/architecture.md §State and its owners): NodeState
 * is the one writer of the saved relays, and `Relays` is handed only a reader. A relay saved is
 * connected, one removed is closed (links over it told with `removed`), one whose pin or token changed
 * is reconnected, and a relay saved under two URLs keeps running under the other when one goes. Real
 * relays on loopback; each store write is counted, so nothing is written twice.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { NodeStateReader } from '../../../src-main/state/node-state.js';
import { Relays } from '../../../src-main/relay-clients/relays.js';
import type { RelayServer } from '../../../src-main/relay/server.js';
import { testIdentity } from '../../helpers/identities.js';
import { memoryState } from '../../helpers/memory-state.js';
import { startTestRelay } from '../../helpers/relay-harness.js';
import { until } from '../../helpers/wait.js';

const servers: RelayServer[] = [];
const parts: Relays[] = [];
after(async () => {
  for (const r of parts) r.stop();
  await Promise.all(servers.map((s) => s.close()));
});

async function relay(tls?: { certPem: string; keyPem: string }): Promise<RelayServer> {
  const server = await startTestRelay(tls ? { tls } : {});
  servers.push(server);
  return server;
}

/** A Relays over `state`, given only what a reader has: it cannot write the saved relays. */
async function relaysOver(state: NodeStateReader, label: string) {
  const notices: string[] = [];
  const reader: Pick<NodeStateReader, 'get' | 'subscribe'> = {
    get: () => state.get(),
    subscribe: (listener) => state.subscribe(listener),
  };
  const relays = new Relays({
    identity: await testIdentity(label),
    log: pino({ level: 'silent' }),
    state: reader,
    notices: { changed: () => undefined, notice: (n) => void notices.push(n.message) },
    idleMs: 60_000,
  });
  parts.push(relays);
  const removed: string[] = [];
  relays.events.on('removed', (url) => removed.push(url));
  return { relays, removed, notices };
}

const urls = (relays: Relays) => relays.clients().map((c) => c.url);

test('saved relays: added is connected, removed is closed, a new token reconnects; one write each', async () => {
  const r1 = await relay();
  const r2 = await relay();
  const { state, backing } = memoryState({ relays: [{ url: r1.url }] });
  const { relays, removed } = await relaysOver(state, 'follow-a');
  relays.start();
  assert.deepEqual(urls(relays), [r1.url], "started from the store's list");
  await until('r1 connected', () => relays.clients()[0]?.state === 'connected');

  const writes = backing.writes;
  assert.equal(state.addRelay({ url: r2.url }), true);
  assert.equal(backing.writes, writes + 1, 'one write: the store');
  assert.deepEqual(urls(relays), [r1.url, r2.url], 'the client follows in the same turn');
  const first = relays.dialer.client(r2.url)!;
  await until('r2 connected', () => first.state === 'connected');
  assert.equal(relays.isOnDemand(r2.url), false);

  // Its token changes (the agent's flags write the list whole): a new connection with it.
  state.setOptions({ relays: [{ url: r1.url }, { url: r2.url, token: 'T' }] });
  const second = relays.dialer.client(r2.url)!;
  assert.notEqual(second, first, 'reconnected');
  assert.equal(first.state, 'disconnected', 'the old connection is closed');
  await until('r2 connected again', () => second.state === 'connected');
  assert.equal(relays.dialer.client(r1.url)?.state, 'connected', 'the other relay is left alone');

  // Spelled another way (a trailing slash): the same relay, changed, and still one client.
  state.setOptions({ relays: [{ url: `${r1.url}/` }, { url: r2.url, token: 'T' }] });
  assert.equal(relays.clients().length, 2);
  assert.deepEqual(removed, [], 'nothing was removed');

  assert.equal(state.removeRelay(r2.url), true);
  assert.deepEqual(urls(relays), [`${r1.url}/`]);
  assert.equal(second.state, 'disconnected');
  assert.deepEqual(removed, [r2.url], 'links over it are told to close');

  // Stopped, it follows nothing more.
  relays.stop();
  state.addRelay({ url: r2.url });
  assert.deepEqual(urls(relays), [`${r1.url}/`]);
});

test('a relay saved under two URLs runs under one; removing that one hands over to the other', async () => {
  const cert = await testIdentity('follow-2url-relay');
  const r = await relay({ certPem: cert.certPem, keyPem: cert.keyPem });
  const other = `wss://127.0.0.2:${new URL(r.url).port}`;
  const { state } = memoryState({
    relays: [
      { url: r.url, fingerprint: cert.fingerprint },
      { url: other, fingerprint: cert.fingerprint },
    ],
  });
  const { relays, removed } = await relaysOver(state, 'follow-2url');
  relays.start();
  assert.deepEqual(urls(relays), [r.url], 'one connection for one relay');
  state.removeRelay(r.url);
  assert.deepEqual(urls(relays), [other], 'the other URL takes over');
  assert.equal(relays.isOnDemand(other), false);
  assert.deepEqual(removed, [r.url]);
});

test("a relay used on demand that the owner saves keeps its connection; the own relay is never the store's", async () => {
  const r = await relay();
  const own = await relay();
  const { state } = memoryState();
  const { relays } = await relaysOver(state, 'follow-od');
  relays.start();
  relays.useInternal(own.url, 'ab'.repeat(32));
  const onDemand = relays.acquire(r.url);
  await until('on-demand connected', () => onDemand.state === 'connected');
  assert.equal(relays.isOnDemand(r.url), true);
  state.addRelay({ url: r.url });
  assert.equal(relays.dialer.client(r.url), onDemand, 'the same connection');
  assert.equal(relays.isOnDemand(r.url), false, 'saved now');
  assert.equal(onDemand.state, 'connected');
  assert.deepEqual(
    state.get().relays.map((x) => x.url),
    [r.url],
    'only what the owner saved is in the store',
  );
  state.removeRelay(r.url);
  assert.deepEqual(urls(relays), [own.url], 'the own relay stays joined');
});
