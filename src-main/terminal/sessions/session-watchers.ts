/**
 * The watchers of one terminal session (docs/adr/0123-shared-terminals.md): streams that get the
 * screen as the replay buffer holds it, then every output chunk, and whose DATA frames are input. A
 * watcher never pauses the program — only the opener's stream does (server-session.ts) — so each one
 * is bounded instead: past WATCH_BACKLOG_BYTES written and not yet taken by its stream, it is ended
 * with a reason, and the program, the opener and the other watchers never wait for it. Whoever hands
 * a stream here decides what of its input may reach the program (the serving agent's view gate,
 * terminal/shares/view-gate.ts): the session writes what it is given.
 */
import type { Duplex } from 'node:stream';
import { errorMessage } from '../../core/errors.js';
import {
  encodeDataFrames,
  encodeTerminalFrame,
  fitText,
  TerminalFrameDecoder,
  type ExitStatus,
} from '../../protocol/terminal-frames.js';
import { CLOSE_GRACE_MS } from './terminal-flow.js';

/**
 * Output bytes a watcher may have written and not yet taken (1 MiB): the opener's own unacknowledged
 * window (terminal-flow.ts UNACKED_HIGH_WATER), far more than a screen. Past it the watcher is ended:
 * it joins again for the screen.
 */
export const WATCH_BACKLOG_BYTES = 1024 * 1024;

/** Why a watcher that fell behind is ended: what its viewer reads. */
export const FELL_BEHIND = 'this viewer fell behind the terminal; join again to see the screen as it is';

interface Watcher {
  readonly stream: Duplex;
  readonly detach: () => void;
}

export class SessionWatchers {
  private readonly watchers = new Set<Watcher>();

  constructor(
    /** Input a watcher's stream carries, handed on as it is. */
    private readonly input: (data: Uint8Array) => void,
    private readonly backlog = WATCH_BACKLOG_BYTES,
  ) {}

  get size(): number {
    return this.watchers.size;
  }

  /** Adds `stream`: `screen` (the replay buffer's bytes) goes first, then live output. */
  add(stream: Duplex, screen: Uint8Array): void {
    const decoder = new TerminalFrameDecoder();
    const onData = (chunk: Buffer) => {
      try {
        for (const frame of decoder.push(chunk)) if (frame.type === 'data') this.input(frame.data);
      } catch (err) {
        this.end(watcher, `protocol error: ${errorMessage(err)}`);
      }
    };
    const onGone = () => this.drop(watcher);
    stream.on('data', onData);
    stream.on('error', onGone);
    stream.on('close', onGone);
    stream.on('end', onGone);
    const watcher: Watcher = {
      stream,
      detach: () => {
        stream.off('data', onData);
        stream.off('close', onGone);
        stream.off('end', onGone);
        // A stream keeps an 'error' listener for good: an unhandled one would end the process.
      },
    };
    this.watchers.add(watcher);
    this.send(encodeDataFrames(screen), watcher);
  }

  /** One output chunk's frames, encoded once for every watcher. */
  output(frames: readonly Uint8Array[]): void {
    for (const w of this.watchers) this.send(frames, w);
  }

  /** The program ended: each watcher gets its status and the end of its stream. */
  exit(status: ExitStatus): void {
    for (const w of [...this.watchers]) {
      this.drop(w);
      w.stream.end(encodeTerminalFrame({ type: 'exit', status }));
    }
  }

  /** Ends every watcher with `reason` (the session is over). */
  closeAll(reason: string): void {
    for (const w of [...this.watchers]) this.end(w, reason);
  }

  private send(frames: readonly Uint8Array[], w: Watcher): void {
    if (!this.watchers.has(w)) return;
    // Bounded by what its stream holds, not by the PTY: a stalled viewer is let go, never waited for.
    if (w.stream.writableLength > this.backlog) return this.end(w, FELL_BEHIND);
    for (const f of frames) w.stream.write(f);
  }

  private end(w: Watcher, reason: string): void {
    if (!this.drop(w)) return;
    w.stream.end(encodeTerminalFrame({ type: 'error', message: fitText(reason) }));
    // A viewer that never reads what is queued does not keep it: let go after the grace.
    setTimeout(() => w.stream.destroy(), CLOSE_GRACE_MS).unref();
  }

  private drop(w: Watcher): boolean {
    if (!this.watchers.delete(w)) return false;
    w.detach();
    return true;
  }
}
