/**
 * The browser transport's mapping of the window's calls onto the browser node (src-web/window/, ADR
 * 0094), with fakes for the node: it serves the methods it lists and refuses the rest as not served;
 * `status` carries the node's fingerprint and its devices; a join tells the window its steps with both
 * fingerprints and ends paired (or rejected, with the device's code); a terminal stream starts with
 * SESSION, carries output as DATA and the window's input and size to the device, says when the link
 * drops and resumes, ends with ERROR, replays on attach, and `terminal.close` hangs up.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeTerminalFrame,
  TerminalFrameDecoder,
  type TerminalFrame,
} from '../../../src-main/protocol/terminal-frames.js';
import type { PairingEvent } from '../../../src-main/api/contract.js';
import { ApiError, type StreamChannel } from '../../../src-renderer/api/transport.js';
import { servedFeatures } from '../../../src-renderer/features/served-features.js';
import { BrowserNodeError } from '../../../src-web/node/bytes.js';
import type { PairedDevice } from '../../../src-web/node/store.js';
import type { TerminalEvents } from '../../../src-web/node/terminal.js';
import { BrowserTransport } from '../../../src-web/window/browser-transport.js';
import { peerInfoOf } from '../../../src-web/window/device-state.js';
import { METHODS, STREAMS } from '../../../src-web/window/methods.js';
import { REPLAY_BYTES, TerminalSessions } from '../../../src-web/window/terminal-sessions.js';

const OFFICE: PairedDevice = { fingerprint: 'cd'.repeat(32), name: 'office', relayUrl: 'ws://relay' };
const OWN = 'ab'.repeat(32);

interface FakeTerminal {
  events: TerminalEvents;
  written: Uint8Array[];
  sizes: [number, number][];
  closed: boolean;
}

function setup(
  pair?: (
    code: string,
    verified: (d: { fingerprint: string; name: string }) => void,
    cancel?: AbortSignal,
  ) => Promise<PairedDevice>,
  rename?: (name: string) => Promise<void>,
) {
  const devices: PairedDevice[] = [OFFICE];
  const terminals: FakeTerminal[] = [];
  const transport = new BrowserTransport(
    {
      node: {
        fingerprint: OWN,
        identity: { name: 'browser' } as never,
        pair: pair ?? (() => Promise.reject(new Error('no pairing here'))),
        rename: rename ?? (() => Promise.reject(new Error('no renaming here'))),
      },
      store: {
        devices: () => Promise.resolve([...devices]),
        forgetDevice: (fp) => {
          devices.splice(
            devices.findIndex((d) => d.fingerprint === fp),
            1,
          );
          return Promise.resolve();
        },
      },
      relayUrl: 'ws://relay',
      devices: {
        peers: () => devices.map((d) => peerInfoOf(d, { kind: 'up', since: 'now' })),
        reload: () => Promise.resolve(),
        paired: () => Promise.resolve(),
      },
      groups: {
        list: () => [],
        find: () => undefined,
        device: () => undefined,
        join: () => Promise.reject(new Error('no groups here')),
        leave: () => Promise.reject(new Error('no groups here')),
        syncSoon: () => undefined,
      },
      terminals: new TerminalSessions((_peer, size, events) => {
        const t: FakeTerminal = { events, written: [], sizes: [[size.cols, size.rows]], closed: false };
        terminals.push(t);
        return Promise.resolve({
          write: (data: string | Uint8Array) => void t.written.push(data as Uint8Array),
          resize: (c: number, r: number) => void t.sizes.push([c, r]),
          close: () => void (t.closed = true),
        });
      }),
    },
    METHODS,
    STREAMS,
  );
  const events: [string, unknown][] = [];
  transport.subscribe((e, d) => events.push([e, d]));
  return { transport, terminals, events, devices };
}

/** Everything the channel delivered so far, decoded (deliveries come after the current task). */
async function framesOf(
  channel: StreamChannel,
): Promise<{ frames: TerminalFrame[]; closed: () => string | null | undefined }> {
  const frames: TerminalFrame[] = [];
  const decoder = new TerminalFrameDecoder();
  let closed: string | null | undefined;
  channel.onMessage((b) => frames.push(...decoder.push(b)));
  channel.onClose((r) => (closed = r));
  await Promise.resolve();
  return { frames, closed: () => closed };
}
const tick = () => new Promise((r) => setImmediate(r));

test('serves what it lists and says so; anything else is refused as not served', async () => {
  const { transport } = setup();
  for (const m of ['status', 'peers.remove', 'pair.join', 'terminal.open', 'terminal.close'])
    assert.equal(transport.serves(m), true, m);
  for (const m of ['pair.new', 'forward.add', 'settings.get', 'peers.allow', 'ping', 'files.send'])
    assert.equal(transport.serves(m), false, m);
  // A member's side of groups only: a browser owns no group.
  for (const m of ['groups.list', 'groups.join', 'groups.leave']) assert.equal(transport.serves(m), true, m);
  for (const m of [
    'groups.create',
    'groups.add',
    'groups.drop',
    'groups.allow',
    'groups.rename',
    'groups.invite',
    'groups.invitations',
    'groups.cancelInvitation',
    'groups.remove',
    'groups.delete',
    'groups.history',
  ])
    assert.equal(transport.serves(m), false, m);
  await assert.rejects(transport.request('forward.add', {}), (e: ApiError) => e.code === 'NOT_SUPPORTED');
  assert.equal(transport.state.kind, 'connected');
});

test('the window shows only the features whose needs the transport serves', () => {
  const { transport } = setup();
  const f = (id: string, needs?: string[]) => ({ id, ...(needs ? { needs } : {}) });
  const all = [
    f('peers', ['status']),
    f('pair', ['pair.join']),
    f('forwards', ['forward.add']),
    f('groups', ['groups.list', 'groups.join', 'groups.leave']),
    f('toy'),
  ];
  assert.deepEqual(
    servedFeatures(all, (m) => transport.serves(m)).map((x) => x.id),
    ['peers', 'pair', 'groups'],
  );
  // Where every method is served (an agent behind the window), every feature shows.
  assert.equal(servedFeatures(all, undefined).length, 5);
});

test('status is the browser node itself with its devices; the status parts it never has are empty', async () => {
  const { transport } = setup();
  const status = (await transport.request('status', {})) as {
    fingerprint: string;
    peers: { name: string }[];
  };
  assert.equal(status.fingerprint, OWN);
  assert.deepEqual(
    status.peers.map((p) => p.name),
    ['office'],
  );
  for (const m of ['pending.list', 'forward.list', 'proxy.list'])
    assert.deepEqual(await transport.request(m, {}), []);
});

test('peers.remove forgets the device here', async () => {
  const { transport, devices } = setup();
  assert.deepEqual(await transport.request('peers.remove', { peer: 'office' }), {
    name: 'office',
    fingerprint: OFFICE.fingerprint,
  });
  assert.equal(devices.length, 0);
  await assert.rejects(
    transport.request('peers.remove', { peer: 'office' }),
    (e: ApiError) => e.code === 'PEER_NOT_FOUND',
  );
});

test('a join tells its steps with both fingerprints and ends paired; a rejection keeps its code', async () => {
  const { transport, events } = setup((code, verified) => {
    assert.equal(code, 'K7QX-M2RT-9WZA');
    verified({ fingerprint: OFFICE.fingerprint, name: 'office' });
    return Promise.resolve(OFFICE);
  });
  const result = await transport.request('pair.join', { code: 'K7QX-M2RT-9WZA', allow: [] });
  assert.deepEqual(result, { name: 'office', fingerprint: OFFICE.fingerprint, allow: [] });
  const steps = events.filter(([e]) => e === 'pairing').map(([, d]) => d as PairingEvent);
  assert.deepEqual(
    steps.map((s) => s.step),
    ['finding', 'waiting', 'paired'],
  );
  assert.equal(steps[1]!.fingerprint, OFFICE.fingerprint);
  assert.equal(steps[1]!.ownFingerprint, OWN);

  const refused = setup(() =>
    Promise.reject(new BrowserNodeError('PAIRING_REJECTED', 'office rejected this browser')),
  );
  await assert.rejects(
    refused.transport.request('pair.join', { code: 'x' }),
    (e: ApiError) => e.code === 'PAIRING_REJECTED',
  );
  const last = refused.events.filter(([e]) => e === 'pairing').at(-1)![1] as PairingEvent;
  assert.equal(last.step, 'rejected');
});

test('a change goes to the window as the agent’s changed and status events, numbered', () => {
  const { transport, events } = setup();
  transport.node.changed();
  transport.node.changed();
  assert.deepEqual(
    events.map(([e]) => e),
    ['changed', 'status', 'changed', 'status'],
  );
  const seqs = events.map(([, d]) => (d as { seq: number }).seq);
  assert.deepEqual(seqs, [1, 1, 2, 2]);
});

test('a terminal stream: SESSION, output as DATA, input and size to the device, STATUS on a drop, ERROR at the end', async () => {
  const { transport, terminals } = setup();
  const { result, channel } = await transport.openStream('terminal.open', {
    peer: OFFICE.fingerprint,
    cols: 100,
    rows: 30,
  });
  const { id, path } = result as { id: string; path: string };
  assert.match(id, /^[0-9a-f]{16}$/);
  assert.equal(path, 'relay');
  const t = terminals[0]!;
  assert.deepEqual(t.sizes, [[100, 30]]);
  t.events.output(new TextEncoder().encode('hello'));
  const seen = await framesOf(channel);
  await tick();
  assert.equal(seen.frames[0]!.type, 'session');
  assert.equal((seen.frames[0] as { offset: number }).offset, 0);
  assert.equal(new TextDecoder().decode((seen.frames[1] as { data: Uint8Array }).data), 'hello');

  channel.send(encodeTerminalFrame({ type: 'data', data: new TextEncoder().encode('ls\r') }));
  channel.send(encodeTerminalFrame({ type: 'resize', cols: 80, rows: 24 }));
  channel.send(encodeTerminalFrame({ type: 'ack', offset: 5 }));
  assert.equal(new TextDecoder().decode(t.written[0]), 'ls\r');
  assert.deepEqual(t.sizes.at(-1), [80, 24]);

  t.events.status!('reconnecting', 'relay closed the connection (1006)');
  t.events.status!('resumed', 'the terminal resumed on the same session');
  const listed = (await transport.request('terminal.list', {})) as { id: string; state: string }[];
  assert.deepEqual(
    listed.map((s) => [s.id, s.state]),
    [[id, 'connected']],
  );
  t.events.end({ error: 'office removed this node as a peer; the session is hung up' });
  await tick();
  const kinds = seen.frames.map((f) => f.type);
  assert.deepEqual(kinds, ['session', 'data', 'status', 'status', 'error']);
  assert.equal((seen.frames[2] as { state: string }).state, 'reconnecting');
  assert.match((seen.frames[4] as { message: string }).message, /removed/);
  assert.equal(seen.closed(), null, 'the stream ends after the error');
});

test('attach replays from where the window stopped; terminal.close hangs the session up', async () => {
  const { transport, terminals } = setup();
  const { id, channel } = await openOfficeTerminal(transport);
  const t = terminals[0]!;
  t.events.output(new TextEncoder().encode('abc'));
  t.events.output(new TextEncoder().encode('def'));
  channel.close();
  const again = await transport.openStream('terminal.attach', { id, cols: 80, rows: 24, from: 4 });
  assert.equal((again.result as { offset: number }).offset, 4);
  const seen = await framesOf(again.channel);
  await tick();
  assert.deepEqual(
    seen.frames.map((f) => f.type),
    ['session', 'data'],
  );
  assert.equal(new TextDecoder().decode((seen.frames[1] as { data: Uint8Array }).data), 'ef');

  assert.deepEqual(await transport.request('terminal.close', { id }), { id });
  assert.equal(t.closed, true);
  await assert.rejects(transport.request('terminal.close', { id }), (e: ApiError) => e.code === 'NOT_FOUND');
});

test('attach after more output than is kept replays the newest REPLAY_BYTES, from its offset', async () => {
  const { transport, terminals } = setup();
  const { id, channel } = await openOfficeTerminal(transport);
  channel.close();
  const chunk = new Uint8Array(4096);
  const chunks = REPLAY_BYTES / chunk.length + 3;
  for (let i = 0; i < chunks; i++) terminals[0]!.events.output(chunk.fill(i % 251));
  const again = await transport.openStream('terminal.attach', { id, cols: 80, rows: 24, from: 0 });
  const offset = (again.result as { offset: number }).offset;
  assert.equal(offset, 3 * chunk.length, 'the oldest byte still kept, as offset 0 is not');
  const seen = await framesOf(again.channel);
  await tick();
  const data = seen.frames.flatMap((f) => (f.type === 'data' ? [...(f as { data: Uint8Array }).data] : []));
  assert.equal(data.length, REPLAY_BYTES, 'every kept byte, once');
  assert.equal(data[0], 3 % 251, 'starting with the fourth chunk');
  assert.equal(data.at(-1), (chunks - 1) % 251, 'ending with the last');
});

test('a device that refuses the terminal: the window gets its refusal code', async () => {
  const transport = new BrowserTransport(
    {
      ...setupParts(),
      terminals: new TerminalSessions(() =>
        Promise.reject(new BrowserNodeError('STREAM_REJECTED', 'removed', 'REMOVED')),
      ),
    },
    METHODS,
    STREAMS,
  );
  await assert.rejects(
    transport.openStream('terminal.open', { peer: 'office', cols: 80, rows: 24 }),
    (e: ApiError) => e instanceof ApiError && e.refusal === 'REMOVED',
  );
});

/** A terminal on `office` at 80×24: its window ID and its stream. */
async function openOfficeTerminal(transport: BrowserTransport) {
  const { result, channel } = await transport.openStream('terminal.open', {
    peer: 'office',
    cols: 80,
    rows: 24,
  });
  return { id: (result as { id: string }).id, channel };
}

function setupParts() {
  const { node, store, relayUrl, devices, terminals, groups } = setup().transport.node;
  return { node, store, relayUrl, devices, terminals, groups };
}

test('pair.cancel ends the running join with that code (its circuit closes on the node)', async () => {
  let signal: AbortSignal | undefined;
  const { transport, events } = setup((_code, _verified, cancel) => {
    signal = cancel;
    return new Promise((_resolve, reject) =>
      cancel!.addEventListener('abort', () => reject(new BrowserNodeError('PAIRING_FAILED', 'cancelled'))),
    );
  });
  const joining = transport.request('pair.join', { code: 'K7QX-M2RT-9WZA' });
  assert.equal(signal?.aborted, false);
  await transport.request('pair.cancel', { code: 'K7QX-M2RT-9WZA' });
  assert.equal(signal?.aborted, true);
  await assert.rejects(joining, (e: ApiError) => e.code === 'PAIRING_FAILED');
  assert.equal((events.at(-1)![1] as PairingEvent).step, 'failed');
});

test('terminal.open reaches a device of a group the browser is a member of, named as the group names it', async () => {
  const O2 = { fingerprint: '02'.repeat(32), name: 'o2' };
  const opened: string[] = [];
  const transport = new BrowserTransport(
    {
      ...setupParts(),
      groups: { ...setupParts().groups, device: (ref) => (ref === O2.fingerprint ? O2 : undefined) },
      terminals: new TerminalSessions((peer) => {
        opened.push(peer);
        return Promise.resolve({ write: () => undefined, resize: () => undefined, close: () => undefined });
      }),
    },
    METHODS,
    STREAMS,
  );
  const { result } = await transport.openStream('terminal.open', {
    peer: O2.fingerprint,
    cols: 80,
    rows: 24,
  });
  assert.deepEqual(opened, [O2.fingerprint]);
  const [info] = (await transport.request('terminal.list', {})) as { id: string; peerName: string }[];
  assert.equal(info?.id, (result as { id: string }).id);
  assert.equal(info?.peerName, 'o2');
  await assert.rejects(
    transport.openStream('terminal.open', { peer: '09'.repeat(32), cols: 80, rows: 24 }),
    (e: ApiError) => e.code === 'PEER_NOT_FOUND',
  );
});

test('settings.set renames the browser, checked as a typed name; it has no other setting', async () => {
  const names: string[] = [];
  const { transport, events } = setup(undefined, (name) => {
    names.push(name);
    return Promise.resolve();
  });
  assert.equal(transport.serves('settings.set'), true);
  await transport.request('settings.set', { name: 'Ana’s ｌａｐｔｏｐ' });
  assert.deepEqual(names, ['Ana’s laptop'], 'in the normal form names have everywhere');
  assert.ok(
    events.some(([e]) => e === 'status'),
    'the window hears of it',
  );
  for (const [params, why] of [
    [{ name: ' Ana' }, /this browser's name starts or ends with a space/],
    [{ name: 'x'.repeat(65) }, /this browser's name must be 1 to 64 bytes/],
    [{ name: 'Ana', listen: '0.0.0.0:7475' }, /a browser has no setting listen: only its name/],
  ] as const)
    await assert.rejects(
      transport.request('settings.set', params),
      (e: ApiError) => e.code === 'BAD_ARGUMENT' && why.test(e.message),
      JSON.stringify(params),
    );
  assert.equal(names.length, 1, 'nothing refused was saved');
});
