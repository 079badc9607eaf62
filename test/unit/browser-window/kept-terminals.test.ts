/**
 * The page's terminals outlive a reload (src-web/window/terminal-sessions.ts, ADR 0094): each session is
 * kept in the store with its device's session ID, how far its output was received and its size; a
 * reloaded page lists it again under the same ID, as reconnecting, takes it up on the device from
 * TAKE_UP_REPLAY_BYTES before where it stood, and forgets it once it ends or is closed. The node's
 * side (BrowserTerminal.takeUp): the resume it asks for, and input numbered after what the session took.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeTerminalFrame,
  TerminalFrameDecoder,
  type TerminalFrame,
} from '../../../src-main/protocol/terminal-frames.js';
import { BrowserNodeError } from '../../../src-web/node/bytes.js';
import type { MuxStream } from '../../../src-web/node/mux.js';
import { MemoryStore } from '../../../src-web/node/store.js';
import {
  BrowserTerminal,
  TAKE_UP_REPLAY_BYTES,
  type TerminalEvents,
} from '../../../src-web/node/terminal.js';
import {
  TAKING_UP,
  TerminalSessions,
  type KeptTerminals,
} from '../../../src-web/window/terminal-sessions.js';

const PEER = 'cd'.repeat(32);
/** A device's session ID: 32 hex, as the wire has it. */
const REMOTE = 'ef'.repeat(16);
const noTerminal = { write: () => undefined, resize: () => undefined, close: () => undefined };

/** A page's sessions on `store`: opened terminals and taken-up ones hand their events to the test. */
function page(store: MemoryStore) {
  const opened: TerminalEvents[] = [];
  const takenUp: { where: { session: string; from: number }; size: unknown; events: TerminalEvents }[] = [];
  const kept: KeptTerminals = {
    store,
    takeUp: (_peer, where, size, events) => {
      takenUp.push({ where, size, events });
      return noTerminal;
    },
  };
  const sessions = new TerminalSessions((_peer, _size, events) => {
    opened.push(events);
    return Promise.resolve(noTerminal);
  }, kept);
  return { sessions, opened, takenUp };
}

/** What a window's channel delivers (after the current task), decoded. */
async function frames(channel: { onMessage(l: (b: Uint8Array) => void): unknown }): Promise<TerminalFrame[]> {
  const out: TerminalFrame[] = [];
  const decoder = new TerminalFrameDecoder();
  channel.onMessage((b) => out.push(...decoder.push(b)));
  await new Promise((r) => setImmediate(r));
  return out;
}

test('a session is kept with where it stands, and a reloaded page takes it up again under the same ID', async () => {
  const store = new MemoryStore();
  const before = page(store);
  const { session, channel } = await before.sessions.start(PEER, 'office', { cols: 80, rows: 24 });
  const events = before.opened[0]!;
  events.progress?.({ session: 'remote-1', received: 0 });
  channel.send(encodeTerminalFrame({ type: 'resize', cols: 100, rows: 30 }));
  events.progress?.({ session: 'remote-1', received: 2_000_000 });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    (await store.terminals()).map((t) => [t.id, t.remote, t.offset, t.cols, t.rows, t.peerName]),
    [[session.id, 'remote-1', 2_000_000, 100, 30, 'office']],
  );

  // The reload: a new page on the same store.
  const after = page(store);
  await after.sessions.restore();
  const from = 2_000_000 - TAKE_UP_REPLAY_BYTES;
  assert.deepEqual(
    after.takenUp.map((t) => [t.where, t.size]),
    [
      [
        { session: 'remote-1', from },
        { cols: 100, rows: 30 },
      ],
    ],
  );
  const listed = after.sessions.list();
  assert.deepEqual(
    listed.map((s) => [s.id, s.state, s.attached, s.startedAt]),
    [[session.id, 'reconnecting', false, session.startedAt]],
  );
  // The window attaches: SESSION where the output will start again, and what is under way.
  const restored = after.sessions.get(session.id)!;
  const seen = await frames(restored.attach(undefined).channel);
  assert.deepEqual(seen[0], { type: 'session', id: session.sessionId, offset: from });
  assert.deepEqual(seen[1], { type: 'status', state: 'reconnecting', detail: TAKING_UP });
  const taken = after.takenUp[0]!.events;
  taken.status?.('resumed', 'the terminal resumed on the same session');
  taken.output(new TextEncoder().encode('screen again'));
  // Kept as far as it was: what came again does not move the kept offset back.
  taken.progress?.({ session: 'remote-1', received: from });
  await new Promise((r) => setImmediate(r));
  assert.equal((await store.terminals())[0]?.offset, 2_000_000);
  assert.equal(after.sessions.list()[0]?.state, 'connected');
});

test('a session that ends, or that the window closes, is forgotten; one with little output is taken up from 0', async () => {
  const store = new MemoryStore();
  const before = page(store);
  const a = await before.sessions.start(PEER, 'office', { cols: 80, rows: 24 });
  const b = await before.sessions.start(PEER, 'office', { cols: 80, rows: 24 });
  const c = await before.sessions.start(PEER, 'office', { cols: 80, rows: 24 });
  before.opened.forEach((e, i) => e.progress?.({ session: `remote-${i}`, received: 1000 }));
  await new Promise((r) => setImmediate(r));
  before.opened[0]!.end({ exit: { code: 0 } });
  before.sessions.close(b.session.id);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    (await store.terminals()).map((t) => t.id),
    [c.session.id],
    `${a.session.id} exited and ${b.session.id} was closed`,
  );
  const after = page(store);
  await after.sessions.restore();
  assert.deepEqual(
    after.takenUp.map((t) => t.where),
    [{ session: 'remote-2', from: 0 }],
  );
  // The device no longer has it: it ends as failed, and is forgotten.
  after.takenUp[0]!.events.end({ error: 'office no longer has this terminal session' });
  await new Promise((r) => setImmediate(r));
  assert.equal(after.sessions.list()[0]?.state, 'failed');
  assert.deepEqual(await store.terminals(), []);
});

/** A terminal stream the test plays the device on. */
function fakeStream() {
  const written: TerminalFrame[] = [];
  const decoder = new TerminalFrameDecoder();
  let data: (b: Uint8Array) => void = () => undefined;
  let end: (e?: BrowserNodeError) => void = () => undefined;
  const stream = {
    write: (b: Uint8Array) => void written.push(...decoder.push(b)),
    onData: (l: (b: Uint8Array) => void) => void (data = l),
    onEnd: (l: (e?: BrowserNodeError) => void) => void (end = l),
    end: () => undefined,
    reset: (why: string) => assert.fail(`the stream was reset: ${why}`),
  } as unknown as MuxStream;
  return {
    stream,
    written,
    push: (f: TerminalFrame) => data(encodeTerminalFrame(f)),
    lose: (e?: BrowserNodeError) => end(e),
  };
}

test('taken up, the session resumes from the offset asked, and input counts on from what the session took', async () => {
  const asked: Record<string, unknown>[] = [];
  const streams = [fakeStream(), fakeStream()];
  const open = (args: Record<string, unknown>) => {
    asked.push(args);
    return Promise.resolve(streams[asked.length - 1]!.stream);
  };
  const told: string[] = [];
  const terminal = BrowserTerminal.takeUp(
    open,
    { session: REMOTE, from: 4000 },
    { cols: 90, rows: 20 },
    {
      output: () => undefined,
      end: (r) => told.push(`end ${JSON.stringify(r)}`),
      status: (state) => told.push(state),
      progress: (w) => told.push(`at ${w.received}`),
    },
  );
  terminal.write('ab');
  // The reloaded window fits its tab while the session is taken up: the new size follows once it is.
  terminal.resize(100, 30);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(asked, [{ v: 1, resume: REMOTE, offset: 4000, cols: 90, rows: 20, input: true }]);
  const first = streams[0]!;
  // The session had taken 50 input bytes before the reload.
  first.push({ type: 'session', id: REMOTE, offset: 4000, input: 50 });
  assert.deepEqual(first.written, [
    { type: 'resize', cols: 100, rows: 30 },
    { type: 'data', data: new TextEncoder().encode('ab') },
  ]);
  first.push({ type: 'ack', offset: 1 });
  // The link drops: the device says it took 51 bytes in all, so only `b` goes again.
  first.lose(new BrowserNodeError('LINK_CLOSED', 'the relay link closed'));
  await new Promise((r) => setImmediate(r));
  const second = streams[1]!;
  second.push({ type: 'session', id: REMOTE, offset: 4000, input: 51 });
  assert.deepEqual(second.written, [{ type: 'data', data: new TextEncoder().encode('b') }]);
  assert.deepEqual(told, ['resumed', 'at 4000', 'reconnecting', 'resumed', 'at 4000']);
});
