/**
 * The API's pushed events (app/api/events.ts): `status` coalesced to one per interval with a fake
 * clock, numbered, kept ticking while forwards are busy; the agent's changes as one `changed` before
 * the status that shows them, naming what differs; `pending.added` found by comparing lists; `audit`
 * at most once a second with the lines written meanwhile; outbox state changes as `message.state` or,
 * to a subscriber that asked, `message.states` (ADR 0059).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Emitter } from '../../../src-main/core/emitter.js';
import { ApiEventHub, Coalescer } from '../../../src-main/app/api/events.js';
import type {
  NoticeEvent,
  ApiEvents,
  ChangedEvent,
  PairingEvent,
  PendingInfo,
  StatusEvent,
} from '../../../src-main/api/contract.js';
import type { ForwardInfo } from '../../../src-main/forwards/forwards-contract.js';
import type { TerminalEvent } from '../../../src-main/terminal/terminal-contract.js';
import type { MessageStatesEvent, OutboxMessage } from '../../../src-main/messages/messages-contract.js';
import { messageStates } from '../../../src-main/messages/messages-api.js';
import type { OutboxEntry } from '../../../src-main/messages/outbox-entry.js';
import type { Why } from '../../../src-main/messages/box-records.js';
import { fakeClock } from '../../helpers/fake-clock.js';
import { agentContract } from '../../helpers/agent-contract.js';

/** How the agent's domains say their events are followed (their contract pieces). */
const policyOf = (event: string) => agentContract.eventPolicy(event);

test('coalescer: a burst of pokes fires once at once, then at most once per interval', () => {
  const clock = fakeClock();
  const fired: number[] = [];
  const c = new Coalescer(
    () => fired.push(clock.now()),
    () => false,
    clock,
    250,
  );
  c.poke();
  c.poke();
  assert.deepEqual(fired, [], 'never inside the poke itself');
  clock.advance(0);
  assert.deepEqual(fired, [0]);
  for (let t = 0; t < 10; t++) {
    clock.advance(20);
    c.poke();
  }
  clock.advance(30);
  assert.deepEqual(fired, [0], 'nothing before 250 ms');
  clock.advance(30);
  assert.deepEqual(fired, [0, 250], 'the pokes of the burst become one, at 250 ms');
  clock.advance(1000);
  assert.deepEqual(fired, [0, 250], 'quiet without pokes');
  c.poke();
  clock.advance(0);
  assert.deepEqual(fired, [0, 250, 1260], 'a poke after a quiet spell fires at once');
});

test('coalescer: keeps ticking every interval while busy, stops when not', () => {
  const clock = fakeClock();
  let busy = true;
  const fired: number[] = [];
  const c = new Coalescer(
    () => fired.push(clock.now()),
    () => busy,
    clock,
    250,
  );
  c.poke();
  clock.advance(800);
  assert.deepEqual(fired, [0, 250, 500, 750]);
  busy = false;
  clock.advance(1000);
  assert.deepEqual(fired, [0, 250, 500, 750, 1000]);
  c.stop();
});

function fakeSources() {
  const agent = new Emitter<{
    changed: [];
    pairing: [PairingEvent];
    terminal: [TerminalEvent];
    moved: [];
    notice: [NoticeEvent];
  }>();
  const state = { pending: [] as PendingInfo[], busy: false, snapshots: 0, forwards: [] as ForwardInfo[] };
  const snapshot = (): Omit<StatusEvent, 'seq'> => {
    state.snapshots++;
    return {
      status: { name: 'a', fingerprint: 'f'.repeat(64), listen: null, relays: [], peers: [] },
      pending: state.pending,
      forwards: state.forwards,
      proxies: [],
    };
  };
  return {
    agent,
    state,
    sources: {
      onChanged: (l: () => void) => agent.on('changed', l),
      onPairing: (l: (e: PairingEvent) => void) => agent.on('pairing', l),
      domainEvents: { terminal: (l: (e: TerminalEvent) => void) => agent.on('terminal', l) },
      eventPolicy: policyOf,
      onActivity: (l: () => void) => agent.on('moved', l),
      onNotice: (l: (notice: NoticeEvent) => void) => agent.on('notice', l),
      snapshot,
      pending: () => state.pending,
      busy: () => state.busy,
      onError: (err: unknown) => assert.fail(err as Error),
    },
  };
}

const pendingInfo = (id: string): PendingInfo => ({
  id,
  name: `n${id}`,
  displayName: `n${id}`,
  fingerprint: id.padEnd(64, '0'),
  via: 'code',
  address: 'ws://relay',
  age: 0,
  knownAs: null,
});

test('hub: a status on subscribing, one per interval under a storm of changes, each after its `changed`', () => {
  const clock = fakeClock();
  const { agent, state, sources } = fakeSources();
  const hub = new ApiEventHub(sources, clock);
  const got: (keyof ApiEvents)[] = [];
  const dispose = hub.subscribe((event) => got.push(event));
  clock.advance(0);
  assert.deepEqual(got, ['status']);
  for (let i = 0; i < 50; i++) {
    agent.emit('changed');
    clock.advance(10);
  }
  // 500 ms of changes: `changed` then `status` at 250 and at 500 only.
  assert.deepEqual(got, ['status', 'changed', 'status', 'changed', 'status']);
  assert.equal(state.snapshots, 3, 'a snapshot is built once per status event, not per change');
  dispose();
  agent.emit('changed');
  clock.advance(1000);
  assert.equal(got.length, 5, 'nothing after the last listener left');
});

test('hub: every status has a higher seq, shared with the `changed` before it, which names what differs', () => {
  const clock = fakeClock();
  const { agent, state, sources } = fakeSources();
  const hub = new ApiEventHub(sources, clock);
  const got: { event: string; data: unknown }[] = [];
  hub.subscribe((event, data) => got.push({ event, data }));
  clock.advance(0);
  state.pending = [pendingInfo('new')];
  agent.emit('changed');
  clock.advance(250);
  agent.emit('changed');
  clock.advance(250);
  state.forwards = [{ name: 'web' } as ForwardInfo];
  agent.emit('moved');
  clock.advance(250);
  const seqs = got.map((g) => (g.data as { seq?: number }).seq);
  const changed = got.filter((g) => g.event === 'changed').map((g) => g.data as ChangedEvent);
  assert.deepEqual(
    got.map((g) => g.event),
    ['status', 'pending.added', 'changed', 'status', 'changed', 'status', 'status'],
  );
  assert.deepEqual(seqs, [1, undefined, 2, 2, 3, 3, 4]);
  assert.deepEqual(changed, [
    { seq: 2, domains: ['pending', 'settings'] },
    // The agent's change showed nowhere in the status: it may have been a setting, which is always named.
    { seq: 3, domains: ['settings'] },
  ]);
});

test('hub: pending.added once per new request; pairing, terminal and notice events pass through', () => {
  const clock = fakeClock();
  const { agent, state, sources } = fakeSources();
  state.pending = [pendingInfo('old')];
  const hub = new ApiEventHub(sources, clock);
  const got: { event: string; data: unknown }[] = [];
  hub.subscribe((event, data) => got.push({ event, data }));
  state.pending = [pendingInfo('old'), pendingInfo('new')];
  agent.emit('changed');
  agent.emit('changed');
  const added = got.filter((g) => g.event === 'pending.added');
  assert.deepEqual(
    added.map((g) => (g.data as PendingInfo).id),
    ['new'],
  );
  agent.emit('pairing', { role: 'join', step: 'finding', code: 'X' });
  agent.emit('terminal', { id: '0123456789abcdef', state: 'reconnecting', message: 'link lost' });
  const notice: NoticeEvent = {
    kind: 'forward',
    message: 'forward web: permission denied: b does not allow forwards from a',
    hint: { argv: ['peers'], where: 'here' },
  };
  agent.emit('notice', notice);
  assert.deepEqual(
    got.slice(-3).map((g) => g.event),
    ['pairing', 'terminal', 'notice'],
  );
  // Its kind and hint travel with it.
  assert.deepEqual(got.at(-1)?.data, notice);
});

test('hub: busy forwards keep status events coming without changes', () => {
  const clock = fakeClock();
  const { state, sources } = fakeSources();
  state.busy = true;
  const hub = new ApiEventHub(sources, clock);
  let statuses = 0;
  hub.subscribe((event) => event === 'status' && statuses++);
  clock.advance(1000);
  assert.equal(statuses, 5, 'at 0, 250, 500, 750 and 1000 ms');
});

test('hub: a connection that opens and closes between ticks still brings a status event', () => {
  const clock = fakeClock();
  const { agent, sources } = fakeSources();
  const hub = new ApiEventHub(sources, clock);
  const got: string[] = [];
  hub.subscribe((event) => got.push(event));
  clock.advance(1000);
  assert.deepEqual(got, ['status']);
  agent.emit('moved');
  agent.emit('moved');
  clock.advance(0);
  assert.deepEqual(got, ['status', 'status'], 'one status, and no `changed` for the CLI');
});

test('hub: with the node state as a source, `changed` names settings only when a setting changed', () => {
  const clock = fakeClock();
  const { agent, state, sources } = fakeSources();
  const settings = new Emitter<{ changed: [] }>();
  const hub = new ApiEventHub({ ...sources, onSettingsChanged: (l) => settings.on('changed', l) }, clock);
  const changed: ChangedEvent[] = [];
  hub.subscribe((event, data) => event === 'changed' && changed.push(data as ChangedEvent));
  clock.advance(0);
  state.pending = [pendingInfo('new')];
  agent.emit('changed');
  clock.advance(250);
  settings.emit('changed');
  clock.advance(250);
  assert.deepEqual(changed, [
    { seq: 2, domains: ['pending'] },
    { seq: 3, domains: ['settings'] },
  ]);
});

test('hub: audit lines written come as one `audit` event a second at most, with their count', () => {
  const clock = fakeClock();
  const { sources } = fakeSources();
  const log = new Emitter<{ written: [number] }>();
  const hub = new ApiEventHub({ ...sources, onAudit: (l) => log.on('written', l) }, clock);
  const audit: ApiEvents['audit'][] = [];
  const off = hub.subscribe((event, data) => event === 'audit' && audit.push(data as ApiEvents['audit']));
  clock.advance(0);
  assert.deepEqual(audit, [], 'nothing written, no event');
  log.emit('written', 2);
  clock.advance(0);
  assert.deepEqual(audit, [{ written: 2 }]);
  log.emit('written', 1);
  log.emit('written', 4);
  clock.advance(999);
  assert.equal(audit.length, 1, 'not again within a second');
  clock.advance(1);
  assert.deepEqual(audit, [{ written: 2 }, { written: 5 }]);
  off();
  log.emit('written', 1);
  assert.equal(log.listenerCount('written'), 0, 'no subscriber, no listening');
});

test('hub: outbox state changes go as message.state to plain subscribers and as message.states to batched ones; each source is followed only while someone takes it (ADR 0059)', () => {
  const clock = fakeClock();
  const { sources } = fakeSources();
  const outbox = new Emitter<{ one: [OutboxMessage]; many: [MessageStatesEvent] }>();
  const following = { each: 0, batched: 0 };
  const follow = <T>(kind: 'each' | 'batched', event: 'one' | 'many', l: (e: T) => void) => {
    following[kind]++;
    const off = outbox.on(event as never, l);
    return () => {
      following[kind]--;
      off();
    };
  };
  const hub = new ApiEventHub(
    {
      ...sources,
      domainEvents: {
        ...sources.domainEvents,
        'message.state': (l: (m: OutboxMessage) => void) => follow('each', 'one', l),
        'message.states': (l: (e: MessageStatesEvent) => void) => follow('batched', 'many', l),
      },
    },
    clock,
  );
  const plain: string[] = [];
  const batched: string[] = [];
  const offBatched = hub.subscribe((event) => void batched.push(event), { messageStates: 'batched' });
  assert.deepEqual(following, { each: 0, batched: 1 }, 'nobody takes message.state yet: not followed');
  const offPlain = hub.subscribe((event) => void plain.push(event));
  assert.deepEqual(following, { each: 1, batched: 1 });
  const m = {
    id: '0193c7c0-0000-7000-8000-000000000001',
    peer: { name: 'b', fingerprint: 'b'.repeat(64) },
    topic: 'default',
    size: 1,
    state: 'sent',
    sentAt: '2026-11-27T00:00:00.000Z',
    stateAt: '2026-11-27T00:00:00.000Z',
    expiresAt: '2026-12-04T00:00:00.000Z',
  } satisfies OutboxMessage;
  outbox.emit('one', m);
  outbox.emit('many', { changes: [{ ids: [m.id], peer: m.peer, state: 'sent', stateAt: m.stateAt }] });
  const mine = (list: string[]) => list.filter((e) => e.startsWith('message'));
  assert.deepEqual(mine(plain), ['message.state']);
  assert.deepEqual(mine(batched), ['message.states']);
  offPlain();
  assert.deepEqual(following, { each: 0, batched: 1 }, 'the last plain subscriber gone: no longer followed');
  offBatched();
  assert.deepEqual(following, { each: 0, batched: 0 });
});

test('message.states: runs of one peer, state, time and why are one change, in order', () => {
  const entry = (id: number, state: OutboxEntry['state'], stateAt: number, peer = 'b', why?: Why) =>
    ({
      id: `id-${id}`,
      peer: peer.repeat(64),
      topic: 't',
      text: true,
      ttlMs: 1000,
      size: 1,
      sentAt: 0,
      expiresAt: 1000,
      state,
      stateAt,
      ...(why ? { why } : {}),
    }) satisfies OutboxEntry;
  const full: Why = { code: 'INBOX_FULL', reason: 'full' };
  const name = (fp: string) => ({ name: fp.slice(0, 1), fingerprint: fp });
  const { changes } = messageStates(
    [
      entry(1, 'sent', 5),
      entry(2, 'sent', 5),
      entry(3, 'sent', 6),
      entry(4, 'delivered', 6),
      entry(5, 'delivered', 6, 'c'),
      entry(6, 'queued', 7, 'b', full),
      entry(7, 'queued', 7, 'b', full),
      entry(8, 'delivered', 6),
    ],
    name,
  );
  assert.deepEqual(
    changes.map((c) => [c.ids.join(' '), c.peer.name, c.state, c.stateAt.slice(-5), c.why?.code]),
    [
      ['id-1 id-2', 'b', 'sent', '.005Z', undefined],
      ['id-3', 'b', 'sent', '.006Z', undefined],
      ['id-4', 'b', 'delivered', '.006Z', undefined],
      ['id-5', 'c', 'delivered', '.006Z', undefined],
      ['id-6 id-7', 'b', 'queued', '.007Z', 'INBOX_FULL'],
      ['id-8', 'b', 'delivered', '.006Z', undefined],
    ],
  );
});
