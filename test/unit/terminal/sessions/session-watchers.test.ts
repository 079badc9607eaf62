/**
 * A terminal session's watchers (a shared terminal's viewers, docs/adr/0123-shared-terminals.md): the
 * screen first, then live output; input only as given; and a watcher that stops reading costs bounded
 * memory and never pauses the program or holds back the opener or the other watchers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import {
  ServerSession,
  type TerminalProcess,
} from '../../../../src-main/terminal/sessions/server-session.js';
import { WATCH_BACKLOG_BYTES } from '../../../../src-main/terminal/sessions/session-watchers.js';
import {
  encodeTerminalFrame,
  TerminalFrameDecoder,
  type ExitStatus,
  type TerminalFrame,
} from '../../../../src-main/protocol/terminal-frames.js';
import { until } from '../../../helpers/wait.js';

/** A program that writes what the test says and records what it is given and told. */
class FakeProgram implements TerminalProcess {
  readonly written: Buffer[] = [];
  pauses = 0;
  private out: ((chunk: Buffer) => void) | undefined;
  private exited: ((s: ExitStatus) => void) | undefined;
  onData(l: (chunk: Buffer) => void) {
    this.out = l;
    return () => undefined;
  }
  onExit(l: (s: ExitStatus) => void) {
    this.exited = l;
    return () => undefined;
  }
  emit(chunk: Buffer): void {
    this.out?.(chunk);
  }
  exit(status: ExitStatus): void {
    this.exited?.(status);
  }
  write(data: Uint8Array): void {
    this.written.push(Buffer.from(data));
  }
  endInput(): void {}
  readonly inputQueued = 0;
  resize(): void {}
  pause(): void {
    this.pauses++;
  }
  resume(): void {}
  hangup(): void {}
}

/** A stream that keeps the frames written to it (`reads`: false, it never takes any: a stalled viewer). */
class Sink extends Duplex {
  readonly frames: TerminalFrame[] = [];
  private readonly decoder = new TerminalFrameDecoder();
  constructor(private readonly reads = true) {
    super();
  }
  override _read(): void {}
  override _write(chunk: Buffer, _e: BufferEncoding, done: (err?: Error | null) => void): void {
    if (!this.reads) return; // never calls back: everything after stays queued in the stream
    this.frames.push(...this.decoder.push(chunk));
    done();
  }
  text(): string {
    return this.frames.map((f) => (f.type === 'data' ? Buffer.from(f.data).toString() : '')).join('');
  }
  type(data: string): void {
    this.push(encodeTerminalFrame({ type: 'data', data: Buffer.from(data) }));
  }
}

function session(program: FakeProgram): ServerSession {
  return new ServerSession({
    id: 'a'.repeat(32),
    peer: 'b'.repeat(64),
    pty: program,
    log: { info: () => undefined, warn: () => undefined },
    resumeMs: () => 60_000,
    onGone: () => undefined,
  });
}

test('a watcher gets the screen so far, then live output, and its input reaches the program', async () => {
  const program = new FakeProgram();
  const s = session(program);
  program.emit(Buffer.from('$ ls\r\nnotes.txt\r\n$ '));
  const viewer = new Sink();
  s.watch(viewer);
  assert.equal(viewer.text(), '$ ls\r\nnotes.txt\r\n$ ', 'the screen so far comes first');
  program.emit(Buffer.from('date\r\n'));
  assert.equal(viewer.text(), '$ ls\r\nnotes.txt\r\n$ date\r\n', 'then each new chunk');
  viewer.type('whoami\r');
  await until('the input to reach the program', () => program.written.length > 0);
  assert.equal(Buffer.concat(program.written).toString(), 'whoami\r', 'what the giver passes on is typed');
  program.exit({ code: 0 });
  assert.deepEqual(viewer.frames.at(-1), { type: 'exit', status: { code: 0 } }, 'the end comes as EXIT');
});

test('a stalled watcher is bounded and let go; the program and the other watchers never wait', () => {
  const program = new FakeProgram();
  const s = session(program);
  const opener = new Sink();
  s.attach(opener, 0);
  const stalled = new Sink(false);
  const reader = new Sink();
  s.watch(stalled);
  s.watch(reader);
  const chunk = Buffer.alloc(16 * 1024, 0x61);
  const chunks = (4 * WATCH_BACKLOG_BYTES) / chunk.length;
  for (let i = 0; i < chunks; i++) {
    program.emit(chunk);
    // The opener acknowledges as it reads, as a client does: only its lag may pause the program.
    s['onFrame']({ type: 'ack', offset: (i + 1) * chunk.length });
  }
  assert.equal(program.pauses, 0, 'no watcher paused the program');
  assert.equal(reader.text().length, chunks * chunk.length, 'the reading watcher got every byte');
  assert.equal(opener.text().length, chunks * chunk.length, 'the opener got every byte');
  assert.ok(
    stalled.writableLength <= WATCH_BACKLOG_BYTES + 2 * chunk.length,
    `the stalled watcher holds at most its backlog, not ${stalled.writableLength} bytes`,
  );
  program.emit(Buffer.from('after'));
  assert.ok(reader.text().endsWith('after'), 'the reading watcher carries on after the other was let go');
  stalled.destroy();
});
