/**
 * The bridge's side of direct terminal I/O (viewer-bridge.ts, ADR 0037), with the CLI's terminal and
 * socket faked: the handoff (DIRECT_START, then nothing on the terminal before DIRECT_READY), keys and
 * output on the terminal afterwards, the output offset the CLI is told, `~?` and `~.`, and the end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ViewerChannel } from '../../../src-main/api/viewer-channel.js';
import type { DirectTty } from '../../../src-main/terminal/direct-tty.js';
import {
  DIRECT_WRITTEN_NOTE_MS,
  ViewerBridge,
  type BridgedSession,
} from '../../../src-main/terminal/viewer-bridge.js';
import {
  encodeTerminalFrame,
  TerminalFrameDecoder,
  type TerminalFrame,
} from '../../../src-main/protocol/terminal-frames.js';
import { sleep, until } from '../../helpers/wait.js';

function fakeChannel() {
  const frames: TerminalFrame[] = [];
  const decoder = new TerminalFrameDecoder();
  let onData: (b: Uint8Array) => void = () => undefined;
  let closed = false;
  const channel: ViewerChannel = {
    viewerAcks: false,
    write: (bytes) => {
      frames.push(...decoder.push(bytes));
      return true;
    },
    onData: (l) => ((onData = l), () => undefined),
    onDrain: () => () => undefined,
    onClose: () => () => undefined,
    pause: () => undefined,
    resume: () => undefined,
    close: () => void (closed = true),
  };
  const send = (frame: TerminalFrame) => onData(encodeTerminalFrame(frame));
  return { channel, frames, send, closed: () => closed };
}

function fakeTty() {
  const written: string[] = [];
  let input: (b: Buffer) => void = () => undefined;
  let ended: () => void = () => undefined;
  let failed: (err: NodeJS.ErrnoException) => void = () => undefined;
  let failure: NodeJS.ErrnoException | undefined;
  let reading = false;
  let closed = false;
  const tty: DirectTty = {
    onInputEnd: (l) => void (ended = l),
    onOutputError: (l) => void (failed = l),
    outputFailure: () => failure,
    onInput: (l) => void (input = l),
    pauseInput: () => void (reading = false),
    resumeInput: () => void (reading = true),
    write: (b) => (written.push(Buffer.from(b).toString()), true),
    onDrain: () => undefined,
    flushed: () => Promise.resolve(),
    close: () => void (closed = true),
    whenClosed: () => Promise.resolve(),
  };
  return {
    tty,
    written,
    type: (s: string) => reading && input(Buffer.from(s)),
    end: () => ended(),
    fail: (code: string) => {
      failure = Object.assign(new Error(code), { code });
      failed(failure);
    },
    reading: () => reading,
    closed: () => closed,
  };
}

function fakeSession() {
  const input: string[] = [];
  let consumed = 0;
  const session: BridgedSession = {
    write: (b) => (input.push(b.toString()), true),
    endInput: () => undefined,
    resize: () => undefined,
    consumed: (n) => void (consumed += n),
    pauseOutput: () => undefined,
    resumeOutput: () => undefined,
  };
  return { session, input, consumed: () => consumed };
}

/** A bridge with a fake CLI socket, terminal and session, started (DIRECT_START sent). */
function started(escapes = true) {
  const c = fakeChannel();
  const t = fakeTty();
  const s = fakeSession();
  const bridge = new ViewerBridge(c.channel, s.session, () => undefined, { tty: t.tty, escapes });
  bridge.start();
  return { c, t, s, bridge };
}

const kinds = (frames: TerminalFrame[]) => frames.map((f) => f.type);

test('the handoff: DIRECT_START, the CLI keeps the I/O until DIRECT_READY, then the terminal has it', async () => {
  const c = fakeChannel();
  const t = fakeTty();
  const s = fakeSession();
  const bridge = new ViewerBridge(c.channel, s.session, () => undefined, { tty: t.tty, escapes: true });
  bridge.start();
  assert.deepEqual(kinds(c.frames), ['direct-start']);
  // Before DIRECT_READY: output goes to the CLI, the terminal is not read, the CLI's keys count.
  bridge.output(Buffer.from('before'));
  t.type('lost?');
  c.send({ type: 'data', data: Buffer.from('k1') });
  assert.deepEqual(t.written, []);
  assert.deepEqual(s.input, ['k1']);
  c.send({ type: 'direct-ready' });
  t.type('k2');
  bridge.output(Buffer.from('after'));
  assert.deepEqual(s.input, ['k1', 'k2']);
  assert.deepEqual(t.written, ['after']);
  assert.equal(s.consumed(), 'before'.length + 'after'.length, 'both count as delivered');
  assert.deepEqual(kinds(c.frames), ['direct-start', 'data']);
  // One note per burst, a little later: how far the agent wrote, and the last byte.
  bridge.output(Buffer.from('more\n'));
  await sleep(DIRECT_WRITTEN_NOTE_MS + 30, 'one note per burst, a little later');
  assert.deepEqual(c.frames.at(-1), { type: 'direct-written', offset: 'aftermore\n'.length, last: 0x0a });
  assert.equal(kinds(c.frames).filter((k) => k === 'direct-written').length, 1);
});

test('a second DIRECT_READY is a protocol error that ends the session for the viewer', async () => {
  const { c } = started();
  c.send({ type: 'direct-ready' });
  c.send({ type: 'direct-ready' });
  const last = await until('the bridge to answer the second DIRECT_READY', () =>
    c.frames.at(-1)?.type === 'error' ? c.frames.at(-1) : undefined,
  );
  assert.equal(last?.type, 'error');
  assert.match(last?.type === 'error' ? last.message : '', /unexpected DIRECT_READY/);
  assert.ok(c.closed(), 'c.closed()');
});

test('~? shows the escapes on the terminal; ~. tells the CLI to leave, after the last output byte', () => {
  const { c, t, s, bridge } = started();
  c.send({ type: 'direct-ready' });
  bridge.output(Buffer.from('prompt$ '));
  t.type('~?');
  assert.match(t.written.at(-1) ?? '', /escape sequences/);
  t.type('ls\r~.more');
  assert.deepEqual(s.input, ['ls\r'], 'nothing after ~. is sent');
  assert.deepEqual(c.frames.slice(-2), [
    { type: 'direct-written', offset: 'prompt$ '.length, last: 0x20 },
    { type: 'direct-left' },
  ]);
});

test('without escapes every key goes to the session as typed', () => {
  const { c, t, s } = started(false);
  c.send({ type: 'direct-ready' });
  t.type('\r~.');
  assert.deepEqual(s.input, ['\r~.']);
  assert.ok(!kinds(c.frames).includes('direct-left'), "!kinds(c.frames).includes('direct-left')");
});

test('the end: the offset, then the EXIT frame, once the output reached the terminal; the terminal is let go', async () => {
  const { c, t, bridge } = started();
  c.send({ type: 'direct-ready' });
  bridge.output(Buffer.from('bye'));
  bridge.end({ type: 'exit', status: { code: 3 } });
  await until('the EXIT frame', () => c.frames.at(-1)?.type === 'exit');
  assert.deepEqual(c.frames.slice(-2), [
    { type: 'direct-written', offset: 3, last: 'e'.charCodeAt(0) },
    { type: 'exit', status: { code: 3 } },
  ]);
  assert.ok(c.closed() && t.closed(), 'c.closed() && t.closed()');
});

test('a viewer that goes before the handoff lets the terminal go unread', () => {
  const { t, bridge } = started();
  bridge.end({ type: 'error', message: 'taken by another window' });
  assert.ok(t.closed(), 't.closed()');
  assert.deepEqual(t.written, []);
});

test('pipes (ADR 0038): their end is Ctrl-D, twice after a partial line, and once more with the next output', () => {
  const { c, t, s, bridge } = started(false);
  c.send({ type: 'direct-ready' });
  t.type('echo hi');
  t.end();
  assert.deepEqual(s.input, ['echo hi', '\x04\x04']);
  bridge.output(Buffer.from('hi\r\n'));
  bridge.output(Buffer.from('$ '));
  assert.deepEqual(s.input, ['echo hi', '\x04\x04', '\x04'], 'one more, with the first output only');
  const whole = started(false);
  whole.c.send({ type: 'direct-ready' });
  whole.t.type('ls\n');
  whole.t.end();
  assert.deepEqual(whole.s.input, ['ls\n', '\x04']);
});

test('a failed write of the output tells the CLI its errno code and stops reading its input', () => {
  const { c, t } = started(false);
  c.send({ type: 'direct-ready' });
  assert.ok(t.reading(), 't.reading()');
  t.fail('EPIPE');
  assert.deepEqual(c.frames.at(-1), { type: 'direct-failed', code: 'EPIPE' });
  assert.ok(!t.reading(), '!t.reading()');
  t.fail('not-a-code');
  assert.deepEqual(c.frames.at(-1), { type: 'direct-failed', code: 'EIO' }, 'an odd code is sent as EIO');
});

test('a write that fails while the last output is flushed: DIRECT_FAILED goes before the EXIT', async () => {
  const { c, t, bridge } = started(false);
  c.send({ type: 'direct-ready' });
  bridge.output(Buffer.from('y\n'.repeat(10)));
  bridge.end({ type: 'exit', status: { code: 0 } });
  // The reader went away during the flush (the bridge is already over: the failure is read at the end).
  t.fail('EPIPE');
  await until('the EXIT frame', () => c.frames.at(-1)?.type === 'exit');
  assert.deepEqual(c.frames.slice(-2), [
    { type: 'direct-failed', code: 'EPIPE' },
    { type: 'exit', status: { code: 0 } },
  ]);
});
