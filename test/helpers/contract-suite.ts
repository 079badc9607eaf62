/**
 * One test suite for the API contract (src-main/api/contract.ts), run against every transport: the
 * control socket (test/integration/api-contract-control-socket.test.ts), the web UI WebSocket, IPC.
 *
 * Usage, in an integration test file:
 *
 *   contractSuite('control socket', async ({ home }) => myConnection(home));
 *
 * `connect({ home })` opens one connection to the agent whose home is `home` (a real agent process
 * the suite started; `clawbridge ui --home HOME --json` gives its web UI link) and returns:
 *
 * - `call(method, params)`: resolves with the result; rejects with an Error whose `code` property is
 *   the contract's error code (BAD_ARGUMENT, PEER_NOT_FOUND…), whose message is the agent's line, and
 *   whose `hint` property is the command that line names (`{argv, where, flag?}`), if any;
 * - `onEvent(listener)`: subscribes to pushed events (`listener(event, data)` for every event of
 *   ApiEvents); returns a function that unsubscribes;
 * - `close()`: ends the connection.
 *
 * The suite starts a relay and three agents (a: under test, b: a mutual peer, c: a node that asks a
 * to pair) with the built CLI (`npx tsc -p tsconfig.build.json` first), and ends them by PID.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type {
  ChangedEvent,
  PairingEvent,
  PairListResult,
  PairNewResult,
  PeerInfo,
  PendingInfo,
  SettingsResult,
  SettingsSetResult,
  StatusEvent,
  StatusResult,
} from '../../src-main/api/contract.js';
import type { ForwardInfo, ToggleResult } from '../../src-main/forwards/forwards-contract.js';
import type {
  InboxMessage,
  OutboxMessage,
  SendManyResult,
} from '../../src-main/messages/messages-contract.js';
import { controlConnection } from './control-connection.js';
import {
  agentCall,
  cli,
  cliJson,
  peerOf,
  startRelay,
  startRelayAgent,
  stopAll,
  tempHome,
  type Proc,
  nodeId,
} from './processes.js';
import { freePort } from './ports.js';
import { until } from './wait.js';

export interface ContractConnection {
  call(method: string, params: unknown): Promise<unknown>;
  onEvent(listener: (event: string, data: unknown) => void): () => void;
  close(): Promise<void>;
}

export type ContractConnect = (target: { home: string }) => Promise<ContractConnection>;

interface Node {
  home: string;
  fingerprint: string;
  proc: Proc;
}

async function startNode(name: string, relayUrl: string): Promise<Node> {
  const home = tempHome(`contract-${name}`);
  const proc = await startRelayAgent(home, name, relayUrl);
  const { fingerprint } = await nodeId(home);
  return { home, fingerprint, proc };
}

async function must(args: string[]): Promise<void> {
  const r = await cli(args);
  if (r.code !== 0) throw new Error(`clawbridge ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
}

/** True when something accepts connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(true));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(false)));
  });
}

async function refused(promise: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (err: Error & { code?: string }) => {
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

/** Registers the suite's tests (node:test) under `describe(name)`. */
export function contractSuite(name: string, connect: ContractConnect): void {
  describe(`API contract over ${name}`, { timeout: 240_000 }, () => {
    let relayUrl = '';
    let a: Node;
    let b: Node;
    let c: Node;
    let api: ContractConnection;

    before(async () => {
      relayUrl = (await startRelay()).url;
      [a, b, c] = await Promise.all([
        startNode('a', relayUrl),
        startNode('b', relayUrl),
        startNode('c', relayUrl),
      ]);
      // As `clawbridge peers add` does, over each agent's control socket: set-up of the nodes around the
      // transport under test, and a CLI process costs ~0.4 s of CPU.
      await agentCall(a.home, 'peers.add', { fingerprint: b.fingerprint, name: 'b' });
      await agentCall(b.home, 'peers.add', { fingerprint: a.fingerprint, name: 'a' });
      api = await connect({ home: a.home });
    });
    after(async () => {
      await api?.close();
      await stopAll();
    });

    const call = <T>(method: string, params: unknown = {}) => api.call(method, params) as Promise<T>;
    const peer = async (peerName: string) =>
      (await call<PeerInfo[]>('peers.list')).find((p) => p.name === peerName);

    test('status: this node, its relay and its peers', async () => {
      const s = await call<StatusResult>('status');
      assert.equal(s.name, 'a');
      assert.equal(s.fingerprint, a.fingerprint);
      assert.deepEqual(
        s.relays.map((r) => r.url),
        [relayUrl],
      );
      assert.deepEqual(
        s.peers.map((p) => p.name),
        ['b'],
      );
      // The agent process's memory (bench/footprint.ts reads it): a live figure, so only its shape.
      assert.ok(
        s.process && s.process.heapUsedBytes > 0 && s.process.rssBytes > s.process.heapUsedBytes,
        'the process figures are filled in',
      );
    });

    test('peers.list: a mutual peer is online, with the path in its state line', async () => {
      // One reading judged and returned: a second one could see a link that dropped in between.
      const p = await until(
        'b online',
        async () => {
          const b = await peer('b');
          return b?.state === 'online' ? b : undefined;
        },
        20_000,
      );
      assert.equal(p.online, true);
      assert.match(p.stateDetail ?? '', /^(direct 127\.0\.0\.1:\d+|relay ws:\/\/127\.0\.0\.1:\d+)$/);
      assert.equal(p.relayReason === null, p.path === 'direct');
    });

    test('bad method and bad params: BAD_ARGUMENT, and the connection goes on', async () => {
      await refused(call('no.such.method'), 'BAD_ARGUMENT', /unknown method 'no\.such\.method'/);
      await refused(
        call('peers.rename', { peer: 'b' }),
        'BAD_ARGUMENT',
        /invalid parameters for peers\.rename: name: /,
      );
      await refused(call('status', { extra: 1 }), 'BAD_ARGUMENT');
      await refused(call('peers.remove', { peer: 'nobody' }), 'PEER_NOT_FOUND');
      assert.equal((await call<StatusResult>('status')).name, 'a');
    });

    test('a refusal that names a command carries it as a hint, the same on every transport', async () => {
      await assert.rejects(call('pending.approve', { id: 'nosuch' }), (err: Error & { hint?: unknown }) => {
        assert.equal(err.message, "no pending request 'nosuch'; `clawbridge pending` lists them");
        assert.deepEqual(err.hint, { argv: ['pending'], where: 'here', at: [29, 49] });
        return true;
      });
      await assert.rejects(call('forward.remove', { name: 'nosuch' }), (err: Error & { hint?: unknown }) => {
        assert.deepEqual(err.hint, { argv: ['forward', 'list'], where: 'here', at: [27, 52] });
        return true;
      });
      // No command named: no hint.
      await assert.rejects(call('no.such.method'), (err: Error & { hint?: unknown }) => {
        assert.equal(err.hint, undefined);
        return true;
      });
    });

    test('settings.get / settings.set round trip; a bad field is named and changes nothing', async () => {
      const before = await call<SettingsResult>('settings.get');
      assert.equal(before.fingerprint, a.fingerprint);
      assert.deepEqual(
        before.relays.map((r) => ({ url: r.url, hasToken: r.hasToken })),
        [{ url: relayUrl, hasToken: false }],
      );
      const set = await call<SettingsSetResult>('settings.set', {
        terminalResumeMs: 5_000,
        notifications: false,
      });
      assert.equal(set.terminalResumeMs, 5_000);
      assert.equal(set.notifications, false);
      assert.equal(set.restartNeeded, false);
      await refused(
        call('settings.set', { notifications: true, terminalResumeMs: 10 }),
        'BAD_ARGUMENT',
        /terminalResumeMs/,
      );
      await refused(call('settings.set', { listen: 42 }), 'BAD_ARGUMENT', /listen/);
      const after = await call<SettingsResult>('settings.get');
      assert.deepEqual(
        { ...after, relays: [] },
        { ...before, relays: [], terminalResumeMs: 5_000, notifications: false },
      );
      await call('settings.set', { terminalResumeMs: before.terminalResumeMs, notifications: true });
    });

    test('forward add, disable (port freed), enable (bound again), remove', async () => {
      const port = await freePort();
      const f = await call<ForwardInfo>('forward.add', {
        local: String(port),
        via: 'b',
        remote: '127.0.0.1:9',
        name: 'contract-fwd',
      });
      assert.equal(f.state, 'listening');
      assert.equal(await listening(port), true);
      const off = await call<ToggleResult>('forward.disable', { name: 'contract-fwd' });
      assert.deepEqual([off.state, off.kind], ['off', 'tcp']);
      assert.equal(await listening(port), false, 'a switched-off forward frees its port');
      const listed = (await call<ForwardInfo[]>('forward.list')).find((x) => x.name === 'contract-fwd');
      assert.equal(listed?.state, 'off', 'it stays saved');
      assert.equal((await call<ToggleResult>('forward.enable', { name: 'contract-fwd' })).state, 'listening');
      assert.equal(await listening(port), true);
      await refused(
        call('forward.enable', { name: 'no-such-forward' }),
        'BAD_ARGUMENT',
        /no forward or proxy named/,
      );
      await call('forward.remove', { name: 'contract-fwd' });
      assert.equal(await listening(port), false);
    });

    test('events: a status event follows a change', async () => {
      const events: { event: string; data: unknown }[] = [];
      const stop = api.onEvent((event, data) => events.push({ event, data }));
      try {
        await call('forward.add', {
          local: String(await freePort()),
          via: 'b',
          remote: '127.0.0.1:9',
          name: 'evt-fwd',
        });
        await until(
          'a status event showing the new forward',
          () =>
            events.some(
              (e) =>
                e.event === 'status' && (e.data as StatusEvent).forwards.some((f) => f.name === 'evt-fwd'),
            ),
          10_000,
        );
        // Every transport carries the numbering: the `changed` names the forwards, with the seq of the
        // status that follows it and shows the forward. Found from that status back, not as the first
        // `changed` heard: the previous test's last change can still be on its way when this one
        // subscribes (a busy machine delivers it late), and it names the forwards too.
        const shown = events.findIndex(
          (e) => e.event === 'status' && (e.data as StatusEvent).forwards.some((f) => f.name === 'evt-fwd'),
        );
        const changed = events[shown - 1];
        assert.equal(changed?.event, 'changed', 'a changed event comes just before the status');
        assert.ok(
          (changed.data as ChangedEvent).domains.includes('forwards'),
          'the changed event names the forwards',
        );
        assert.equal((events[shown]!.data as StatusEvent).seq, (changed.data as ChangedEvent).seq);
        const seqs = events.filter((e) => e.event === 'status').map((e) => (e.data as StatusEvent).seq);
        assert.deepEqual(
          seqs,
          [...seqs].sort((a, b) => a - b),
          'status events come in rising seq',
        );
      } finally {
        stop();
        await call('forward.remove', { name: 'evt-fwd' });
      }
    });

    test('pending: a node asks, approving it makes it a peer; when it removes us, it shows refused', async () => {
      const events: { event: string; data: unknown }[] = [];
      const stop = api.onEvent((event, data) => events.push({ event, data }));
      try {
        await agentCall(c.home, 'peers.add', { fingerprint: a.fingerprint, name: 'a' });
        const req = await until(
          'c pending at a',
          async () =>
            (await call<PendingInfo[]>('pending.list')).find((p) => p.fingerprint === c.fingerprint),
          20_000,
        );
        assert.equal(req.via, 'fingerprint');
        await until('pending.added event', () => events.some((e) => e.event === 'pending.added'), 5_000);
        await until('c waiting for a', async () => (await peerOf(c.home, 'a'))?.state === 'waiting', 20_000);
        await refused(
          call('pending.approve', { id: req.id }),
          'BAD_ARGUMENT',
          /came with only a fingerprint/,
        );
        const approved = await call<PeerInfo>('pending.approve', { id: req.id, fingerprint: c.fingerprint });
        assert.equal(approved.fingerprint, c.fingerprint);
        await until('c online at a', async () => (await peer(approved.name))?.state === 'online', 20_000);
        const renamed = await call<PeerInfo>('peers.rename', { peer: approved.name, name: 'carol' });
        assert.equal(renamed.name, 'carol');
        await refused(call('peers.rename', { peer: 'carol', name: 'b' }), 'BAD_ARGUMENT', /already exists/);
        await agentCall(c.home, 'peers.remove', { peer: 'a' });
        const gone = await until(
          'c refuses a',
          async () => {
            const carol = await peer('carol');
            return carol?.state === 'refused' ? carol : undefined;
          },
          45_000,
        );
        assert.equal(gone.stateDetail, 'refused by them (removed or rejected us)');
      } finally {
        stop();
      }
    });

    test('pairing by code: cancel retires a code; a join shows step by step, approval pairs', async () => {
      const events: PairingEvent[] = [];
      const stop = api.onEvent((event, data) => event === 'pairing' && events.push(data as PairingEvent));
      try {
        const first = await call<PairNewResult>('pair.new');
        // A window that opens now finds the code it would have shown.
        assert.deepEqual(await call('pair.list'), { codes: [first], joins: [] });
        assert.deepEqual(await call('pair.cancel', { code: first.code }), { code: first.code });
        assert.deepEqual(await call('pair.list'), { codes: [], joins: [] });
        await refused(call('pair.cancel', { code: first.code }), 'BAD_PAIR_CODE');
        const d = await startNode('d', relayUrl);
        const { code } = await call<PairNewResult>('pair.new');
        const join = cli(['pair', 'join', code, '--home', d.home, '--json'], 60_000);
        const joined = await until('a joined event', () => events.find((e) => e.step === 'joined'), 20_000);
        assert.deepEqual(
          {
            role: joined.role,
            code: joined.code,
            fingerprint: joined.fingerprint,
            own: joined.ownFingerprint,
          },
          { role: 'new', code, fingerprint: d.fingerprint, own: a.fingerprint },
        );
        const req = (await call<PendingInfo[]>('pending.list')).find((p) => p.fingerprint === d.fingerprint);
        assert.equal(req?.via, 'code');
        // The event names the request the joiner became, so a window approves exactly that one.
        assert.equal(joined.pendingId, req.id);
        await call('pending.approve', { id: req.id });
        await until(
          'a paired event',
          () => events.some((e) => e.step === 'paired' && e.code === code),
          10_000,
        );
        const r = await join;
        assert.equal(r.code, 0, r.stderr);
        assert.equal((JSON.parse(r.stdout) as { fingerprint: string }).fingerprint, a.fingerprint);

        // The other way round: this node joins d's code and reports each step.
        const theirs = await cliJson<PairNewResult>(['pair', 'new', '--home', d.home]);
        events.length = 0;
        const joining = call<{ name: string; fingerprint: string }>('pair.join', { code: theirs.code });
        const waiting = await until(
          'a waiting event',
          () => events.find((e) => e.step === 'waiting'),
          20_000,
        );
        assert.deepEqual(
          { fingerprint: waiting.fingerprint, own: waiting.ownFingerprint, name: waiting.peerName },
          { fingerprint: d.fingerprint, own: a.fingerprint, name: 'd' },
        );
        // A window that opens now finds the join and where it stands (to show it, and to cancel it).
        const { joins } = await call<PairListResult>('pair.list');
        assert.deepEqual(
          joins.map((j) => [j.code, j.step, j.peerName, j.fingerprint]),
          [[theirs.code, 'waiting', 'd', d.fingerprint]],
        );
        await must(['approve', '--latest', '--home', d.home]);
        assert.equal((await joining).fingerprint, d.fingerprint);
        assert.deepEqual((await call<PairListResult>('pair.list')).joins, []);
        await until('a paired step', () => events.some((e) => e.step === 'paired'), 5_000);
        assert.deepEqual(
          events.map((e) => `${e.role} ${e.step}`),
          ['join finding', 'join checking', 'join waiting', 'join paired'],
        );
      } finally {
        stop();
      }
    });

    test('messages: send, the message and message.state events, list, ack, outbox, delete', async () => {
      const events: { event: string; data: unknown }[] = [];
      const stop = api.onEvent((event, data) => events.push({ event, data }));
      const toB = await controlConnection(b.home);
      try {
        await until(
          'b online',
          async () => ((await peer('b'))?.state === 'online' ? true : undefined),
          20_000,
        );
        // a → b: queued, then delivered (and a message.state event saying so).
        const sent = await call<OutboxMessage>('messages.send', {
          peer: 'b',
          text: 'hello b',
          topic: 'contract',
        });
        assert.deepEqual(
          [sent.state, sent.topic, sent.peer],
          ['queued', 'contract', { name: 'b', fingerprint: b.fingerprint }],
        );
        await until(
          'a delivered event',
          () =>
            events.some(
              (e) =>
                e.event === 'message.state' &&
                (e.data as OutboxMessage).id === sent.id &&
                (e.data as OutboxMessage).state === 'delivered',
            ),
          15_000,
        );
        const [listed] = await call<OutboxMessage[]>('messages.outbox', { ids: [sent.id] });
        assert.ok(listed?.state === 'delivered' || listed?.state === 'read', JSON.stringify(listed));

        // b → a, bytes: a `message` event on this transport, then list, ack, delete.
        const bytes = Buffer.from([0, 1, 2, 255]).toString('base64');
        const theirs = (await toB.call('messages.send', {
          peer: 'a',
          base64: bytes,
          topic: 'contract',
        })) as OutboxMessage;
        const arrived = await until(
          'a message event',
          () =>
            events.find((e) => e.event === 'message' && (e.data as InboxMessage).id === theirs.id)?.data as
              InboxMessage | undefined,
          15_000,
        );
        assert.deepEqual(
          [arrived.base64, arrived.text, arrived.from, arrived.read],
          [bytes, undefined, { name: 'b', fingerprint: b.fingerprint }, false],
        );
        const unread = await call<InboxMessage[]>('messages.list', {
          unread: true,
          from: 'b',
          topic: 'contract',
        });
        assert.deepEqual(
          unread.map((m) => m.id),
          [theirs.id],
        );
        assert.deepEqual(await call('messages.ack', { ids: [theirs.id] }), { acked: 1 });
        assert.deepEqual(await call('messages.list', { unread: true, topic: 'contract' }), []);
        assert.deepEqual(await call('messages.delete', { ids: [theirs.id, sent.id] }), { deleted: 2 });
        assert.deepEqual(await call('messages.list', { topic: 'contract' }), []);

        // Refusals: two bodies, an unknown peer, a body over 1 MiB (nothing queued).
        await refused(
          call('messages.send', { peer: 'b', text: 'x', base64: 'eA==' }),
          'BAD_ARGUMENT',
          /exactly one body/,
        );
        await refused(call('messages.send', { peer: 'nobody', text: 'x' }), 'PEER_NOT_FOUND');
        await refused(
          call('messages.send', { peer: 'b', text: 'x'.repeat(2 * 1024 * 1024) }),
          'BAD_ARGUMENT',
          /at most 1 MiB/,
        );
        assert.deepEqual(await call('messages.outbox', { peer: 'b' }), []);

        // A batch: queued in order, each delivered; a bad one queues none; more than 1,000 is refused.
        const batch = await call<SendManyResult>('messages.sendMany', {
          peer: 'b',
          messages: [{ text: 'one' }, { text: 'two', topic: 'contract' }, { base64: bytes }],
        });
        assert.equal(batch.error, undefined);
        assert.deepEqual(
          batch.queued.map((m) => [m.topic, m.size]),
          [
            ['default', 3],
            ['contract', 3],
            ['default', 4],
          ],
        );
        await until(
          'the batch delivered',
          async () => {
            const ids = batch.queued.map((m) => m.id);
            const list = await call<OutboxMessage[]>('messages.outbox', { ids });
            return list.length === 3 && list.every((m) => m.state === 'delivered' || m.state === 'read');
          },
          15_000,
        );
        await refused(
          call('messages.sendMany', { peer: 'b', messages: [{ text: 'ok' }, { base64: '!!' }] }),
          'BAD_ARGUMENT',
          /message 2 of 2: base64/,
        );
        await refused(
          call('messages.sendMany', {
            peer: 'b',
            messages: Array.from({ length: 1001 }, () => ({ text: 'x' })),
          }),
          'BAD_ARGUMENT',
        );
        assert.deepEqual(await call('messages.delete', { ids: batch.queued.map((m) => m.id) }), {
          deleted: 3,
        });
        assert.deepEqual(await call('messages.outbox', { peer: 'b' }), []);
      } finally {
        stop();
        await toB.close();
      }
    });

    test('terminal.list and relay.probe answer', async () => {
      assert.deepEqual(await call('terminal.list'), []);
      assert.deepEqual(await call('relay.probe', { url: relayUrl }), {
        url: relayUrl,
        fingerprint: null,
        caTrusted: false,
      });
      await refused(call('relay.probe', { url: 'http://x' }), 'BAD_ARGUMENT', /url/);
    });
  });
}
