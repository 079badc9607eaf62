/**
 * Flow control of a window terminal: output is acknowledged only once drawn, in the counts the agent
 * expects (DATA bytes on this channel from 0), and the session's end states reach the UI. The codec is
 * the agent's own (protocol/terminal-frames.ts, ADR 0015; its properties: test/property/terminal-frames).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeTerminalFrame,
  MAX_TERMINAL_DATA,
  MAX_TERMINAL_DIMENSION,
  MAX_TERMINAL_FRAME,
  TerminalFrameDecoder,
} from '../../../src-main/protocol/terminal-frames.js';
import { FakeChannel } from '../../../src-renderer/api/fake-transport.js';
import {
  ACK_DELAY_MS,
  ACK_EVERY_BYTES,
  HELD_INPUT_BYTES,
  TerminalSession,
} from '../../../src-renderer/features/terminals/terminal-session.js';
import { sleep, until } from '../../helpers/wait.js';

function setup() {
  const pending: (() => void)[] = [];
  const drawn: string[] = [];
  const session = new TerminalSession({
    write: (data, done) => {
      drawn.push(Buffer.from(data).toString());
      pending.push(done);
    },
    reset: () => drawn.push('<reset>'),
    sized: (cols, rows) => drawn.push(`<${cols}x${rows}>`),
  });
  const channel = new FakeChannel();
  session.attach(channel);
  const acks = () =>
    channel.sent
      .flatMap((b) => new TerminalFrameDecoder().push(Buffer.from(b)))
      .filter((f) => f.type === 'ack');
  return { session, channel, pending, drawn, acks };
}

const data = (s: string) => encodeTerminalFrame({ type: 'data', data: Buffer.from(s) });

test('no ACK before the screen drew the output; one ACK shortly after', async () => {
  const { channel, pending, drawn, acks } = setup();
  channel.push(data('hello'));
  channel.push(data(' world'));
  assert.deepEqual(drawn, ['hello', ' world']);
  await sleep(ACK_DELAY_MS * 2, 'twice the ACK delay: no ACK may go before the screen drew');
  assert.deepEqual(acks(), [], 'nothing drawn yet');
  pending.shift()!();
  pending.shift()!();
  await until('the ACK', () => acks().length > 0);
  assert.deepEqual(acks(), [{ type: 'ack', offset: 11 }]);
});

test('a big burst is acknowledged at once, without waiting for the timer', () => {
  const { channel, pending, acks } = setup();
  channel.push(Buffer.concat([data('a'.repeat(ACK_EVERY_BYTES)), data('b')]));
  pending.shift()!();
  assert.deepEqual(acks(), [{ type: 'ack', offset: ACK_EVERY_BYTES }]);
});

test("the shell's terminal size reaches the screen in order with the output, and nothing is sent back", () => {
  const { channel, drawn } = setup();
  channel.push(encodeTerminalFrame({ type: 'resize', cols: 120, rows: 40 }));
  channel.push(data('top'));
  channel.push(encodeTerminalFrame({ type: 'resize', cols: 100, rows: 30 }));
  channel.push(data('redrawn'));
  assert.deepEqual(drawn, ['<120x40>', 'top', '<100x30>', 'redrawn'], 'each size where it came');
  assert.equal(channel.sent.length, 0, 'a size heard is no size to send');
});

test('status, exit and a lost channel reach the UI state; input stops after the end', () => {
  const { session, channel } = setup();
  channel.push(encodeTerminalFrame({ type: 'status', state: 'reconnecting', detail: 'b unreachable' }));
  assert.deepEqual(session.state, { phase: 'reconnecting', detail: 'b unreachable', exit: null });
  channel.push(encodeTerminalFrame({ type: 'status', state: 'resumed', detail: '' }));
  assert.equal(session.state.phase, 'live');
  channel.push(encodeTerminalFrame({ type: 'exit', status: { code: 2 } }));
  assert.equal(session.state.phase, 'exited');
  assert.equal(session.state.detail, 'exited with code 2');
  assert.equal(session.live, false);
  const before = channel.sent.length;
  session.input('ls\r');
  assert.equal(channel.sent.length, before);
});

test('a channel that closes without an end frame means reconnecting, not ended', () => {
  const { session, channel } = setup();
  channel.close('connection to the agent lost (1006)');
  assert.equal(session.state.phase, 'reconnecting');
  assert.equal(session.attached, false);
  assert.equal(session.live, true, 'closing the tab still asks first');
});

test('typed input and resizes go out as frames the agent decodes', () => {
  const { session, channel } = setup();
  session.input('é');
  session.resize(100, 30);
  const frames = channel.sent.flatMap((b) => new TerminalFrameDecoder().push(Buffer.from(b)));
  assert.deepEqual(frames[0], { type: 'data', data: Buffer.from('é') });
  assert.deepEqual(frames[1], { type: 'resize', cols: 100, rows: 30 });
});

test('a paste larger than one DATA frame goes out split, and the agent reassembles it exactly', () => {
  const { session, channel } = setup();
  const text = 'x'.repeat(MAX_TERMINAL_DATA * 2 + 10);
  session.input(text);
  const frames = new TerminalFrameDecoder().push(Buffer.concat(channel.sent));
  assert.equal(frames.length, 3);
  assert.equal(frames.map((f) => (f.type === 'data' ? Buffer.from(f.data).toString() : '')).join(''), text);
});

test('a size past the wire’s limit goes out as the largest there is', () => {
  const { session, channel } = setup();
  session.resize(MAX_TERMINAL_DIMENSION + 5, 30);
  const frames = new TerminalFrameDecoder().push(Buffer.concat(channel.sent));
  assert.deepEqual(frames, [{ type: 'resize', cols: MAX_TERMINAL_DIMENSION, rows: 30 }]);
});

test('a program’s stderr (a session on pipes) is drawn like its output, and counts in the ACKs', async () => {
  const { channel, pending, drawn, acks } = setup();
  channel.push(data('out '));
  channel.push(encodeTerminalFrame({ type: 'stderr', data: Buffer.from('oops') }));
  assert.deepEqual(drawn, ['out ', 'oops']);
  pending.shift()!();
  pending.shift()!();
  await until('the ACK', () => acks().length > 0);
  assert.deepEqual(acks(), [{ type: 'ack', offset: 8 }]);
});

test('a frame the page cannot take fails the session instead of buffering it', () => {
  const { session, channel } = setup();
  const evil = new Uint8Array(4);
  new DataView(evil.buffer).setUint32(0, MAX_TERMINAL_FRAME + 1);
  channel.push(evil);
  assert.equal(session.state.phase, 'failed');
  assert.match(session.state.detail, /exceeds/);
  assert.equal(channel.closed, true);
});

test('the tab keeps the peer’s session ID and its output offset: what takes the session up after an agent restart', () => {
  const { session, channel } = setup();
  assert.equal(session.remoteId, null);
  const id = 'c'.repeat(32);
  channel.push(encodeTerminalFrame({ type: 'session', id, offset: 1000 }));
  channel.push(data('hello'));
  assert.equal(session.remoteId, id);
  assert.equal(session.offset, 1005);
  // Taken up on a new channel from that offset, the count goes on from the new SESSION frame.
  const next = new FakeChannel();
  session.attach(next);
  next.push(encodeTerminalFrame({ type: 'session', id, offset: 1005 }));
  next.push(data('!'));
  assert.equal(session.offset, 1006);
});

test('after a dropped connection the screen is kept when the replay continues it, cleared otherwise', () => {
  const { session, channel, drawn } = setup();
  assert.equal(session.shownOffset, undefined, 'no offset before the agent said where output starts');
  channel.push(encodeTerminalFrame({ type: 'session', id: 'a'.repeat(32), offset: 100 }));
  channel.push(data('hello'));
  assert.equal(session.shownOffset, 105);
  channel.close('connection to the agent lost (1006)');

  // The agent still held byte 105: it replays from there, and the screen goes on.
  const again = new FakeChannel();
  session.attach(again, 105);
  again.push(encodeTerminalFrame({ type: 'session', id: 'a'.repeat(32), offset: 105 }));
  again.push(data(' world'));
  assert.deepEqual(drawn, ['hello', ' world']);
  assert.equal(session.shownOffset, 111);
  again.close(null);

  // It no longer held byte 111 (more than its scrollback came meanwhile): clean screen, then the replay.
  const late = new FakeChannel();
  session.attach(late, 111);
  late.push(encodeTerminalFrame({ type: 'session', id: 'a'.repeat(32), offset: 4000 }));
  late.push(data('tail'));
  assert.deepEqual(drawn, ['hello', ' world', '<reset>', 'tail']);
  late.close(null);

  // No known offset (null): the whole scrollback comes, on a clean screen.
  const whole = new FakeChannel();
  session.attach(whole, null);
  whole.push(encodeTerminalFrame({ type: 'session', id: 'a'.repeat(32), offset: 4000 }));
  assert.equal(drawn.at(-1), '<reset>');
});

/** The text of the DATA frames a channel carried, in order. */
const typed = (channel: FakeChannel) =>
  new TerminalFrameDecoder()
    .push(Buffer.concat(channel.sent))
    .flatMap((f) => (f.type === 'data' ? [Buffer.from(f.data).toString()] : []))
    .join('');

test('keys typed while the device link is down go on the attached stream (the node below keeps them)', () => {
  const { session, channel } = setup();
  channel.push(encodeTerminalFrame({ type: 'status', state: 'reconnecting', detail: 'b unreachable' }));
  session.input('echo typed-while-away\r');
  assert.equal(typed(channel), 'echo typed-while-away\r', 'sent on, not dropped');
  assert.equal(session.state.detail, 'b unreachable', 'nothing said: they will arrive');
});

test('keys typed with no stream attached are sent first once it is attached again, in order', () => {
  const { session, channel } = setup();
  channel.close('connection to the agent lost (1006)');
  session.input('ec');
  session.input('ho 1\r');
  const again = new FakeChannel();
  session.attach(again, 0);
  session.input('echo 2\r');
  assert.equal(typed(again), 'echo 1\recho 2\r', 'the held keys, then the new ones');
  again.close(null);
  const third = new FakeChannel();
  session.attach(third, 0);
  assert.equal(typed(third), '', 'held keys are sent once');
});

test('past 64 KiB typed while reconnecting, keys are not sent and the state says so; resumed, they flow again', () => {
  const { session, channel } = setup();
  channel.push(encodeTerminalFrame({ type: 'status', state: 'reconnecting', detail: 'b unreachable' }));
  session.input('x'.repeat(HELD_INPUT_BYTES - 1));
  session.input('yz');
  assert.equal(typed(channel).length, HELD_INPUT_BYTES - 1, 'the bytes past the bound are not sent');
  assert.match(session.state.detail, /^b unreachable \(keys past 64 KiB typed meanwhile were not sent\)$/);
  assert.equal(session.state.phase, 'reconnecting');
  channel.push(encodeTerminalFrame({ type: 'status', state: 'resumed', detail: '' }));
  session.input('z'.repeat(HELD_INPUT_BYTES));
  assert.equal(typed(channel).length, 2 * HELD_INPUT_BYTES - 1, 'live again: no bound');
});

test('keys held with no stream are dropped when the session fails, not sent to whatever comes next', () => {
  const { session, channel } = setup();
  channel.close('connection to the agent lost (1006)');
  session.input('rm -rf build\r');
  session.failed('the session is gone');
  const next = new FakeChannel();
  session.attach(next);
  assert.equal(typed(next), '');
});

test('keys typed while the terminal opens are sent first once it is open, in order (as ssh keeps them)', () => {
  const session = new TerminalSession({ write: (_d, done) => done(), reset: () => undefined });
  assert.equal(session.state.phase, 'connecting');
  session.input('ec');
  session.input(Uint8Array.from(Buffer.from('ho 1\r')));
  const channel = new FakeChannel();
  session.attach(channel);
  session.input('echo 2\r');
  assert.equal(typed(channel), 'echo 1\recho 2\r', 'the keys typed while opening, then the new ones');
});

test('past 64 KiB typed while the terminal opens, keys are not sent and the opening says so', () => {
  const session = new TerminalSession({ write: (_d, done) => done(), reset: () => undefined });
  session.input('x'.repeat(HELD_INPUT_BYTES));
  session.input('y');
  assert.equal(session.state.phase, 'connecting');
  assert.equal(session.state.detail, '(keys past 64 KiB typed meanwhile were not sent)');
  const channel = new FakeChannel();
  session.attach(channel);
  assert.equal(typed(channel), 'x'.repeat(HELD_INPUT_BYTES), 'the first 64 KiB, nothing past them');
  session.input('z');
  assert.equal(typed(channel).length, HELD_INPUT_BYTES + 1, 'open: no bound');
});
