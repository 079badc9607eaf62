/**
 * A terminal session's watchers (a shared terminal's viewers, docs/adr/0123-shared-terminals.md): the
 * screen first, then live output; input only as given; and a watcher that stops reading costs bounded
 * memory and never pauses the program or holds back the opener or the other watchers; while an opener
 * is attached, a burst goes to it first and to the watchers once the program pauses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import {
  ServerSession,
  type TerminalProcess,
} from '../../../../src-main/terminal/sessions/server-session.js';
import {
  FELL_BEHIND,
  SessionWatchers,
  WATCH_HOLD_MOST_MS,
  WATCH_HOLD_MOST_SHARE,
  WATCH_PIECE_BYTES,
  WATCH_QUIET_MS,
} from '../../../../src-main/terminal/sessions/session-watchers.js';
import { REPLAY_BUFFER_BYTES } from '../../../../src-main/terminal/sessions/replay-buffer.js';
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
  /** A terminal of 80 × 24 unless a test makes it a program on pipes (undefined). */
  size: { cols: number; rows: number } | undefined = { cols: 80, rows: 24 };
  resize(cols: number, rows: number): void {
    if (this.size) this.size = { cols, rows };
  }
  pause(): void {
    this.pauses++;
  }
  resume(): void {}
  hangup(): void {}
}

/**
 * A stream that keeps the frames written to it. `reads: false`: it takes nothing until `takeAgain()` (a
 * stalled viewer, or one that is slow for a while), so what is written stays queued in the stream.
 */
class Sink extends Duplex {
  readonly frames: TerminalFrame[] = [];
  /** Bytes of output taken so far. */
  taken = 0;
  private readonly decoder = new TerminalFrameDecoder();
  private held: (() => void) | undefined;
  constructor(private reads = true) {
    super();
  }
  override _read(): void {}
  override _write(chunk: Buffer, _e: BufferEncoding, done: (err?: Error | null) => void): void {
    const take = () => {
      for (const f of this.decoder.push(chunk)) {
        this.frames.push(f);
        if (f.type === 'data') this.taken += f.data.length;
      }
      done();
    };
    if (this.reads) take();
    else this.held = take;
  }
  /** Takes everything from now on, the write held first. */
  takeAgain(): void {
    this.reads = true;
    const held = this.held;
    this.held = undefined;
    held?.();
  }
  text(): string {
    return this.frames.map((f) => (f.type === 'data' ? Buffer.from(f.data).toString() : '')).join('');
  }
  type(data: string): void {
    this.push(encodeTerminalFrame({ type: 'data', data: Buffer.from(data) }));
  }
  /** What the opener's window does when it is resized. */
  resize(cols: number, rows: number): void {
    this.push(encodeTerminalFrame({ type: 'resize', cols, rows }));
  }
  /** The sizes this stream was told, in order. */
  sizes(): string[] {
    return this.frames.flatMap((f) => (f.type === 'resize' ? [`${f.cols}x${f.rows}`] : []));
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

test("a watcher is told the terminal's size before the screen, and each new size the opener sets; the opener is told none", async () => {
  const program = new FakeProgram();
  const s = session(program);
  const opener = new Sink();
  s.attach(opener, 0);
  opener.resize(120, 40);
  await until('the opener to size the terminal', () => program.size?.cols === 120);
  program.emit(Buffer.from('top - 10:00:00\r\n'));
  const viewer = new Sink();
  s.watch(viewer);
  assert.deepEqual(
    viewer.frames.slice(0, 2).map((f) => f.type),
    ['resize', 'data'],
    'the size comes first, then the screen as the replay buffer holds it',
  );
  assert.deepEqual(viewer.sizes(), ['120x40'], "the size is the opener's now, not the one it opened at");
  opener.resize(100, 30);
  await until('the watcher to hear the new size', () => viewer.sizes().length === 2);
  assert.deepEqual(viewer.sizes(), ['120x40', '100x30'], 'then each size the opener sets');
  opener.resize(100, 30);
  program.emit(Buffer.from('after\r\n'));
  await until('the output after it', () => viewer.text().endsWith('after\r\n'));
  assert.deepEqual(viewer.sizes(), ['120x40', '100x30'], 'a size set again unchanged is not told again');
  assert.deepEqual(opener.sizes(), [], 'the opener, whose size it is, is never told it');
});

test('a program on pipes has no size: its watchers are told none', () => {
  const program = new FakeProgram();
  program.size = undefined;
  const s = session(program);
  program.emit(Buffer.from('building...\n'));
  const viewer = new Sink();
  s.watch(viewer);
  s.resize(100, 30);
  assert.equal(viewer.text(), 'building...\n', 'the watcher gets the output');
  assert.deepEqual(viewer.sizes(), [], 'and no size');
});

/** Emits `bytes` of output in 16 KiB chunks, the opener acknowledging as it reads. */
function print(program: FakeProgram, s: ServerSession, bytes: number, from = 0): void {
  const chunk = Buffer.alloc(16 * 1024, 0x61);
  for (let at = 0; at < bytes; at += chunk.length) {
    program.emit(chunk);
    // Only the opener's lag may pause the program: it acknowledges as a client does.
    s['onFrame']({ type: 'ack', offset: from + at + chunk.length });
  }
}

test('a stalled watcher holds a piece, is let go past the replay buffer; the program and the others never wait', async () => {
  const program = new FakeProgram();
  const s = session(program);
  const opener = new Sink();
  s.attach(opener, 0);
  const stalled = new Sink(false);
  const reader = new Sink();
  s.watch(stalled);
  s.watch(reader);
  print(program, s, REPLAY_BUFFER_BYTES - 64 * 1024);
  assert.ok(
    stalled.writableLength <= WATCH_PIECE_BYTES + 64,
    `the stalled watcher holds one piece, not ${stalled.writableLength} bytes`,
  );
  const bytes = 4 * REPLAY_BUFFER_BYTES;
  print(program, s, bytes - (REPLAY_BUFFER_BYTES - 64 * 1024), REPLAY_BUFFER_BYTES - 64 * 1024);
  assert.equal(program.pauses, 0, 'no watcher paused the program');
  assert.equal(opener.text().length, bytes, 'the opener got every byte as it came');
  await until(
    'the reading watcher to get every byte once the program paused',
    () => reader.text().length === bytes,
  );
  assert.ok(stalled.writableEnded, 'the watcher that fell behind the replay buffer was let go');
  stalled.takeAgain();
  assert.deepEqual(stalled.frames.at(-1), { type: 'error', message: FELL_BEHIND }, 'and told why');
  program.emit(Buffer.from('after'));
  await until('the reading watcher to carry on after the other was let go', () =>
    reader.text().endsWith('after'),
  );
  stalled.destroy();
});

test('a watcher slow for a while catches up from the replay buffer, in order, to the EXIT', () => {
  const program = new FakeProgram();
  const s = session(program);
  s.attach(new Sink(), 0);
  const slow = new Sink(false);
  s.watch(slow);
  // More than a megabyte while it does not read, less than the replay buffer holds.
  const chunks = 96;
  for (let i = 0; i < chunks; i++) {
    program.emit(Buffer.from(`${String(i).padStart(16 * 1024 - 1, '.')}\n`));
    s['onFrame']({ type: 'ack', offset: (i + 1) * 16 * 1024 });
  }
  program.exit({ code: 3 });
  assert.ok(!slow.writableEnded, 'the slow watcher is still in, behind');
  slow.takeAgain();
  const lines = slow.text().split('\n');
  assert.equal(lines.length, chunks + 1, 'it got every chunk');
  assert.ok(
    lines.slice(0, chunks).every((l, i) => l.endsWith(`.${i}`) || l === String(i)),
    'in order',
  );
  assert.deepEqual(slow.frames.at(-1), { type: 'exit', status: { code: 3 } }, 'then the EXIT');
  assert.ok(slow.writableEnded, 'and the end of its stream');
});

/** Output as a session's replay buffer gives it to watchers, with a clock the test moves. */
class Output {
  readonly capacity = REPLAY_BUFFER_BYTES;
  private readonly bytes = Buffer.alloc(3 * REPLAY_BUFFER_BYTES);
  private written = 0;
  at = 0;
  readonly watchers = new SessionWatchers(
    this,
    () => undefined,
    () => undefined,
    () => this.at,
  );
  get start(): number {
    return 0;
  }
  get end(): number {
    return this.written;
  }
  frames(from: number, to: number): Uint8Array[] {
    return [encodeTerminalFrame({ type: 'data', data: this.bytes.subarray(from, to) })];
  }
  /** The program writes `text` at `at` ms; `openerFirst`: an opener is attached. */
  print(text: string | Buffer, openerFirst = true): void {
    this.written += Buffer.from(text).copy(this.bytes, this.written);
    this.watchers.output(openerFirst);
  }
}

const dataFrames = (sink: Sink) => sink.frames.filter((f) => f.type === 'data').length;

test('with an opener attached, output reaches a watcher once the program pauses, a burst as one frame', async () => {
  const out = new Output();
  const viewer = new Sink();
  out.watchers.add(viewer);
  out.print('$ make\r\n');
  for (const line of ['cc a.c\r\n', 'cc b.c\r\n', 'ld app\r\n']) {
    out.at += 1;
    out.print(line);
  }
  assert.equal(viewer.text(), '', 'held while the program prints');
  await until('the held output once the program paused', () => viewer.text().endsWith('ld app\r\n'));
  assert.equal(viewer.text(), '$ make\r\ncc a.c\r\ncc b.c\r\nld app\r\n', 'all of it, in order');
  assert.equal(dataFrames(viewer), 1, 'the burst went as one frame');
  out.at += WATCH_QUIET_MS;
  out.print('$ ');
  assert.ok(viewer.text().endsWith('app\r\n'), 'a lone chunk (an echo) is held too, for the pause after it');
  await until('the echo once the program paused', () => viewer.text().endsWith('$ '));
});

test('with no opener attached, a watcher gets each chunk as it comes', () => {
  const out = new Output();
  const viewer = new Sink();
  out.watchers.add(viewer);
  for (let i = 0; i < 5; i++) out.print(`line ${i}\r\n`, false);
  assert.equal(dataFrames(viewer), 5, 'five chunks, five frames, none held');
});

test('a flood that never pauses reaches watchers every WATCH_HOLD_MOST_MS, and is never held past three quarters of the replay buffer', async () => {
  const out = new Output();
  const viewer = new Sink();
  out.watchers.add(viewer);
  const line = 'x'.repeat(99) + '\n';
  for (let ms = 0; ms < WATCH_HOLD_MOST_MS; ms++) {
    out.at = ms;
    out.print(line);
  }
  assert.equal(viewer.taken, 0, 'held while the program keeps printing');
  out.at = WATCH_HOLD_MOST_MS;
  out.print(line);
  assert.equal(viewer.taken, out.end, 'then written all of it at once, without a pause');
  const chunk = Buffer.alloc(16 * 1024, 0x62);
  let most = 0;
  for (let i = 0; i < (2 * REPLAY_BUFFER_BYTES) / chunk.length; i++) {
    out.at += 1;
    out.print(chunk);
    most = Math.max(most, out.end - viewer.taken);
  }
  assert.ok(
    most <= REPLAY_BUFFER_BYTES * WATCH_HOLD_MOST_SHARE + chunk.length,
    `never more than three quarters of the buffer behind (${most} bytes at most)`,
  );
  await until('the rest once the program paused', () => viewer.taken === out.end);
});
