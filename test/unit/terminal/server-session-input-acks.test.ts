/**
 * When the serving agent acknowledges input: a key's ACK leaves right behind its echo (one write, no
 * message of its own), input that prints nothing within INPUT_ACK_DELAY_MS, a paste at every
 * INPUT_ACK_STEP at once, and input node-pty still queues only once it is written.
 */
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { pino } from 'pino';
import {
  encodeTerminalFrame,
  MAX_TERMINAL_DATA,
  TerminalFrameDecoder,
  type ExitStatus,
  type TerminalFrame,
} from '../../../src-main/protocol/terminal-frames.js';
import type { PtySession } from '../../../src-main/terminal/pty-session.js';
import { ServerSession } from '../../../src-main/terminal/server-session.js';
import {
  INPUT_ACK_DELAY_MS,
  INPUT_ACK_STEP,
  INPUT_DRAIN_POLL_MS,
} from '../../../src-main/terminal/terminal-flow.js';

/** A PTY whose output the test produces and whose input queue it sets. */
class FakePty {
  inputQueued = 0;
  readonly input: Buffer[] = [];
  private output: ((chunk: Buffer) => void) | undefined;
  onData(listener: (chunk: Buffer) => void) {
    this.output = listener;
    return () => undefined;
  }
  onExit(_listener: (status: ExitStatus) => void) {
    return () => undefined;
  }
  write(data: Uint8Array) {
    this.input.push(Buffer.from(data));
  }
  print(text: string) {
    this.output?.(Buffer.from(text));
  }
  pause() {}
  resume() {}
  resize() {}
  hangup() {}
}

/** The serving side of a terminal stream: what the session writes, frame by frame, write by write. */
class ClientEnd extends Duplex {
  readonly writes: TerminalFrame[][] = [];
  private readonly decoder = new TerminalFrameDecoder();
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.writes.push(this.decoder.push(chunk));
    cb();
  }
  /** Frames from the client to the session. */
  send(frame: TerminalFrame): void {
    this.push(encodeTerminalFrame(frame));
  }
  acks(): number[] {
    return this.writes.flat().flatMap((f) => (f.type === 'ack' ? [f.offset] : []));
  }
}

function start() {
  const pty = new FakePty();
  const session = new ServerSession({
    id: '0123456789abcdef0123456789abcdef',
    peer: 'a'.repeat(64),
    pty: pty as unknown as PtySession,
    log: pino({ level: 'silent' }),
    resumeMs: () => 1000,
    onGone: () => undefined,
  });
  const client = new ClientEnd();
  session.attach(client, 0);
  client.writes.length = 0; // the SESSION frame
  return { pty, session, client };
}

const key = (text: string): TerminalFrame => ({ type: 'data', data: Buffer.from(text) });
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

test('a typed key is ACKed right after its echo, not before it on its own', async () => {
  const { pty, session, client } = start();
  client.send(key('x'));
  await turn();
  assert.deepEqual(pty.input.map(String), ['x']);
  assert.deepEqual(client.acks(), [], 'no ACK may leave before the echo');
  pty.print('x');
  await turn();
  const frames = client.writes.flat();
  assert.deepEqual(
    frames.map((f) => f.type),
    ['data', 'ack'],
  );
  assert.deepEqual(client.acks(), [1]);
  session.close('test over');
});

test('input that prints nothing is ACKed within INPUT_ACK_DELAY_MS', async (t) => {
  mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => mock.timers.reset());
  const { session, client } = start();
  client.send(key('silent'));
  await turn();
  mock.timers.tick(INPUT_ACK_DELAY_MS - 1);
  assert.deepEqual(client.acks(), []);
  mock.timers.tick(1);
  assert.deepEqual(client.acks(), [6]);
  session.close('test over');
});

test('a paste is ACKed at once every INPUT_ACK_STEP bytes, with no timer', async () => {
  const { session, client } = start();
  const chunk = Buffer.alloc(MAX_TERMINAL_DATA, 0x61);
  let sent = 0;
  while (sent < INPUT_ACK_STEP) {
    client.send({ type: 'data', data: chunk });
    sent += chunk.length;
  }
  await turn();
  assert.equal(client.acks().at(-1), sent);
  session.close('test over');
});

test('input node-pty still queues is ACKed only once it is written', async (t) => {
  mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => mock.timers.reset());
  const { pty, session, client } = start();
  pty.inputQueued = 3;
  client.send(key('abc'));
  await turn();
  mock.timers.tick(INPUT_ACK_DELAY_MS);
  assert.deepEqual(client.acks(), [], 'nothing is written yet');
  pty.inputQueued = 0;
  mock.timers.tick(INPUT_DRAIN_POLL_MS);
  assert.deepEqual(client.acks(), [3]);
  session.close('test over');
});
