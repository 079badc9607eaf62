/**
 * A session on pipes replays what a resuming client missed with each byte on the channel it came on
 * (terminal/sessions/server-session.ts): for any mix of stdout and stderr chunks, a replay buffer of any size
 * and any offset still held, the frames after SESSION are the model's bytes from that offset, DATA for
 * stdout and STDERR for stderr.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import fc from 'fast-check';
import pino from 'pino';
import { Emitter } from '../../src-main/core/emitter.js';
import {
  TerminalFrameDecoder,
  type ExitStatus,
  type OutputChannel,
  type TerminalFrame,
} from '../../src-main/protocol/terminal-frames.js';
import { ServerSession, type TerminalProcess } from '../../src-main/terminal/sessions/server-session.js';

/** A program that only produces output when told to. */
class FakeProcess implements TerminalProcess {
  readonly events = new Emitter<{ data: [Buffer, OutputChannel]; exit: [ExitStatus] }>();
  readonly inputQueued = 0;
  onData(listener: (chunk: Buffer, channel?: OutputChannel) => void) {
    return this.events.on('data', listener);
  }
  onExit(listener: (status: ExitStatus) => void) {
    return this.events.on('exit', listener);
  }
  write(): void {}
  endInput(): void {}
  readonly size = undefined;
  resize(): void {}
  pause(): void {}
  resume(): void {}
  hangup(): void {}
}

function sink(): { stream: Duplex; frames: () => TerminalFrame[] } {
  const decoder = new TerminalFrameDecoder();
  const got: TerminalFrame[] = [];
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, done) {
      got.push(...decoder.push(chunk));
      done();
    },
  });
  return { stream, frames: () => got };
}

const chunkArb = fc.record({
  channel: fc.constantFrom<OutputChannel>('stdout', 'stderr'),
  data: fc.uint8Array({ minLength: 1, maxLength: 300 }),
});

test('property: a replay gives every byte from the offset on its own channel (2,000 runs)', () => {
  fc.assert(
    fc.property(
      fc.array(chunkArb, { minLength: 1, maxLength: 30 }),
      fc.integer({ min: 1, max: 4096 }),
      fc.nat(),
      (chunks, replayBytes, pick) => {
        const proc = new FakeProcess();
        const session = new ServerSession({
          id: 'f'.repeat(32),
          peer: 'a'.repeat(64),
          pty: proc,
          log: pino({ level: 'silent' }),
          resumeMs: () => 60_000,
          onGone: () => undefined,
          replayBytes,
        });
        // The model: one channel label per output byte.
        const bytes: number[] = [];
        const labels: OutputChannel[] = [];
        for (const c of chunks) {
          proc.events.emit('data', Buffer.from(c.data), c.channel);
          for (const b of c.data) {
            bytes.push(b);
            labels.push(c.channel);
          }
        }
        const start = Math.max(0, bytes.length - replayBytes);
        const offset = start + (pick % (bytes.length - start + 1));
        assert.equal(session.resumeProblem(offset), undefined);
        const { stream, frames } = sink();
        session.attach(stream, offset);
        const [first, ...rest] = frames();
        assert.deepEqual(first, { type: 'session', id: 'f'.repeat(32), offset });
        const gotBytes: number[] = [];
        const gotLabels: OutputChannel[] = [];
        for (const f of rest) {
          assert.ok(f.type === 'data' || f.type === 'stderr', `unexpected ${f.type}`);
          for (const b of f.data) {
            gotBytes.push(b);
            gotLabels.push(f.type === 'stderr' ? 'stderr' : 'stdout');
          }
        }
        assert.deepEqual(gotBytes, bytes.slice(offset));
        assert.deepEqual(gotLabels, labels.slice(offset));
        session.close('test over');
      },
    ),
    { numRuns: 2_000 },
  );
});
