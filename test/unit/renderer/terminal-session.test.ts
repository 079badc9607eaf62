/**
 * Flow control of a window terminal: output is acknowledged only once drawn, in the counts the agent
 * expects (DATA bytes on this channel from 0), and the session's end states reach the UI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeTerminalFrame, TerminalFrameDecoder } from '../../../src-main/protocol/terminal-frames.js';
import { FakeChannel } from '../../../src-renderer/api/fake-transport.js';
import {
  ACK_DELAY_MS,
  ACK_EVERY_BYTES,
  TerminalSession,
} from '../../../src-renderer/features/terminals/terminal-session.js';

function setup() {
  const pending: (() => void)[] = [];
  const drawn: string[] = [];
  const session = new TerminalSession({
    write: (data, done) => {
      drawn.push(Buffer.from(data).toString());
      pending.push(done);
    },
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
  await new Promise((r) => setTimeout(r, ACK_DELAY_MS * 2));
  assert.deepEqual(acks(), [], 'nothing drawn yet');
  pending.shift()!();
  pending.shift()!();
  await new Promise((r) => setTimeout(r, ACK_DELAY_MS * 2));
  assert.deepEqual(acks(), [{ type: 'ack', offset: 11 }]);
});

test('a big burst is acknowledged at once, without waiting for the timer', () => {
  const { channel, pending, acks } = setup();
  channel.push(Buffer.concat([data('a'.repeat(ACK_EVERY_BYTES)), data('b')]));
  pending.shift()!();
  assert.deepEqual(acks(), [{ type: 'ack', offset: ACK_EVERY_BYTES }]);
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
