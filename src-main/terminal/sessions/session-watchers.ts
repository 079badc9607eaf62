/**
 * The watchers of one terminal session (docs/adr/0123-shared-terminals.md): streams that get the
 * screen as the replay buffer holds it, then every output chunk, and whose DATA frames are input. A
 * watcher never pauses the program — only the opener's stream does (server-session.ts). Each watcher
 * reads the session's replay buffer at its own offset instead, and is written a piece at a time, only
 * while its stream takes it: a watcher that is slower for a while catches up from the buffer, and one
 * that stops reading holds no more than a piece, whatever the program prints. A watcher that falls
 * further behind than the buffer holds is ended with a reason; the program, the opener and the other
 * watchers never wait for it. Whoever hands a stream here decides what of its input may reach the
 * program (the serving agent's view gate, terminal/shares/view-gate.ts): the session writes what it
 * is given. A watcher is told the terminal's size (a RESIZE frame) before the screen and whenever the
 * opener changes it, so a viewer draws the output at the size it was made for.
 *
 * While an opener is attached, its stream comes first. It is written each chunk as it comes; the
 * watchers get output once the program pauses (WATCH_QUIET_MS), or when it has been held for
 * WATCH_HOLD_MOST_MS or three quarters of the replay buffer. A burst (a build log, `cat` of a file,
 * `seq`) then reaches the person at the keyboard with this machine's CPU and its link to itself, and
 * the watchers get it right after, in whole pieces whose encoding those in step share: fewer, larger
 * frames, which cost every hop to each viewer less. A keystroke's echo reaches the watchers
 * WATCH_QUIET_MS after the opener: a burst's first chunk written at once would cost each page that
 * watches a repaint while the rest of the burst runs. Watching a flood, a viewer sees it in steps.
 * With no opener (its tab closed, the session kept), watchers get each chunk at once.
 */
import type { Duplex } from 'node:stream';
import { errorMessage } from '../../core/errors.js';
import {
  encodeTerminalFrame,
  fitText,
  TerminalFrameDecoder,
  type ExitStatus,
} from '../../protocol/terminal-frames.js';
import { CLOSE_GRACE_MS } from './terminal-flow.js';

/**
 * Output written to a watcher's stream at a time, in bytes (64 KiB, one DATA frame's most): the next
 * piece waits until the stream drained. It is all a stalled watcher holds besides its stream's own
 * buffers, and on a fast stream each drain asks for the next without a wait.
 */
export const WATCH_PIECE_BYTES = 64 * 1024;

/**
 * How long a watcher still behind when the program exits has to catch up, in ms: room for the whole
 * replay buffer over a slow path. A reading viewer gets the last lines and EXIT; one that does not
 * read is let go then, rather than keep the ended session's buffer.
 */
export const WATCH_EXIT_DRAIN_MS = 30_000;

/**
 * How long the program's output must pause before watchers are written what was held, in ms: longer
 * than the gaps between a busy program's writes, short beside the 30 ms a viewer's echo may add.
 */
export const WATCH_QUIET_MS = 8;

/**
 * Longest output is held from watchers while the program keeps printing, in ms: a viewer watching a
 * flood still sees it move twice a second.
 */
export const WATCH_HOLD_MOST_MS = 500;

/**
 * Most output held from a watcher, as a share of the replay buffer: the quarter left (512 KiB) is the
 * room a released watcher has to start catching up before it would fall behind. A watcher that keeps
 * pace with the program never falls behind from there; one that cannot keep pace would fall behind
 * without the hold too, only later.
 */
export const WATCH_HOLD_MOST_SHARE = 3 / 4;

/** Why a watcher that fell behind is ended: what its viewer reads. */
export const FELL_BEHIND = 'this viewer fell behind the terminal; join again to see the screen as it is';

/** A terminal's size in character cells. */
export interface TerminalSize {
  cols: number;
  rows: number;
}

/** The session's output as watchers read it: its replay buffer's range and frames of any part of it. */
export interface WatchedOutput {
  /** Offset of the oldest output byte still held. */
  readonly start: number;
  /** Offset one past the newest output byte. */
  readonly end: number;
  /** Bytes the buffer holds at most: output is held from watchers up to WATCH_HOLD_MOST_SHARE of it. */
  readonly capacity: number;
  /** The output from `from` to `to` (within [start, end]) as terminal frames. */
  frames(from: number, to: number): Uint8Array[];
}

interface Watcher {
  readonly stream: Duplex;
  /** Offset of the next output byte this watcher is to be written. */
  offset: number;
  /** The terminal size this watcher was last told. */
  told?: TerminalSize;
  /** Set once the program exited while this watcher was behind. */
  deadline?: NodeJS.Timeout;
  readonly detach: () => void;
}

export class SessionWatchers {
  private readonly watchers = new Set<Watcher>();
  private status: ExitStatus | undefined;
  /**
   * The frames of the last piece written: watchers in step share one encoding of it (an offset names
   * the same bytes for good, so it never goes stale).
   */
  private last: { from: number; to: number; frames: Uint8Array[] } | undefined;
  /** Output held from the watchers: the timer that writes it once the program pauses, and since when. */
  private held: { quiet: NodeJS.Timeout; since: number } | undefined;

  constructor(
    private readonly source: WatchedOutput,
    /** Input a watcher's stream carries, handed on as it is. */
    private readonly input: (data: Uint8Array) => void,
    /** The terminal's size now (undefined on pipes): each watcher is told it (`resized`). */
    private readonly terminalSize: () => TerminalSize | undefined = () => undefined,
    /** Milliseconds from any fixed point (tests drive it): how long output has been held. */
    private readonly now: () => number = () => performance.now(),
  ) {}

  get size(): number {
    return this.watchers.size;
  }

  /** Adds `stream`: the output the replay buffer holds goes first, then live output. */
  add(stream: Duplex): void {
    const decoder = new TerminalFrameDecoder();
    const onData = (chunk: Buffer) => {
      try {
        for (const frame of decoder.push(chunk)) if (frame.type === 'data') this.input(frame.data);
      } catch (err) {
        this.end(watcher, `protocol error: ${errorMessage(err)}`);
      }
    };
    const onDrain = () => this.pump(watcher);
    const onGone = () => this.drop(watcher);
    stream.on('data', onData);
    stream.on('drain', onDrain);
    stream.on('error', onGone);
    stream.on('close', onGone);
    stream.on('end', onGone);
    const watcher: Watcher = {
      stream,
      offset: this.source.start,
      detach: () => {
        clearTimeout(watcher.deadline);
        stream.off('data', onData);
        stream.off('drain', onDrain);
        stream.off('close', onGone);
        stream.off('end', onGone);
        // A stream keeps an 'error' listener for good: an unhandled one would end the process.
      },
    };
    this.watchers.add(watcher);
    // The size first, so the replay is drawn at the size it was made for (ADR 0123 §Sizes).
    this.tellSize([watcher]);
    this.pump(watcher);
    if (this.status) this.drainBy(watcher);
  }

  /**
   * The opener resized the terminal: each watcher is told the new size at once, even one still behind
   * on output made at the old size (a full-screen program redraws after the resize anyway).
   */
  resized(): void {
    if (!this.status) this.tellSize([...this.watchers]);
  }

  /** Writes the terminal's size to `to` as a RESIZE frame, when it changed since it was told last. */
  private tellSize(to: Watcher[]): void {
    const size = this.terminalSize();
    if (!size) return;
    const frame = encodeTerminalFrame({ type: 'resize', ...size });
    for (const w of to) {
      if (w.told?.cols === size.cols && w.told.rows === size.rows) continue;
      w.told = size;
      if (!w.stream.destroyed && !w.stream.writableEnded) w.stream.write(frame);
    }
  }

  /**
   * New output is in the source: each watcher that is taking output gets it — at once when no opener
   * is attached (`openerFirst` false), else once the program pauses or the output has been held long
   * enough (the class comment).
   */
  output(openerFirst: boolean): void {
    if (this.watchers.size === 0) return;
    if (!openerFirst || this.heldTooMuch()) return this.release();
    const now = this.now();
    if (!this.held) {
      const quiet = setTimeout(() => this.release(), WATCH_QUIET_MS);
      quiet.unref();
      this.held = { quiet, since: now };
    } else if (now - this.held.since >= WATCH_HOLD_MOST_MS) this.release();
    else this.held.quiet.refresh();
  }

  private dropHold(): void {
    clearTimeout(this.held?.quiet);
    this.held = undefined;
  }

  /** Whether a watcher is behind by WATCH_HOLD_MOST_SHARE of the replay buffer or more. */
  private heldTooMuch(): boolean {
    const limit = this.source.end - this.source.capacity * WATCH_HOLD_MOST_SHARE;
    for (const w of this.watchers) if (w.offset <= limit) return true;
    return false;
  }

  /** Writes each watcher what was held from it. */
  private release(): void {
    this.dropHold();
    for (const w of [...this.watchers]) this.pump(w);
  }

  /**
   * The program ended: each watcher gets the rest of the output, its status and the end of its
   * stream; one still behind after WATCH_EXIT_DRAIN_MS is let go.
   */
  exit(status: ExitStatus): void {
    this.status = status;
    this.dropHold();
    for (const w of [...this.watchers]) {
      this.pump(w);
      this.drainBy(w);
    }
  }

  /** Ends every watcher with `reason` (the session is over), but those finishing an exited program's output. */
  closeAll(reason: string): void {
    if (this.status) return;
    this.dropHold();
    for (const w of [...this.watchers]) this.end(w, reason);
  }

  /** Writes `w` what it has not had, a piece at a time while its stream takes it. */
  private pump(w: Watcher): void {
    if (!this.watchers.has(w)) return;
    if (w.stream.destroyed || w.stream.writableEnded) return void this.drop(w);
    const { start, end } = this.source;
    // Overwritten before this watcher took it: it cannot see what it missed. What is queued for it is
    // a piece at most, so its stream is kept until its viewer reads why or leaves (the serving agent
    // ends the view with the share): cut after a grace, it would read only that its connection went.
    if (w.offset < start) return this.end(w, FELL_BEHIND, false);
    while (w.offset < end && !w.stream.writableNeedDrain) {
      const to = Math.min(end, w.offset + WATCH_PIECE_BYTES);
      for (const f of this.framesOf(w.offset, to)) w.stream.write(f);
      w.offset = to;
    }
    if (w.offset === end && this.status) {
      this.drop(w);
      w.stream.end(encodeTerminalFrame({ type: 'exit', status: this.status }));
    }
  }

  private framesOf(from: number, to: number): Uint8Array[] {
    const last = this.last;
    if (last && last.from === from && last.to === to) return last.frames;
    const frames = this.source.frames(from, to);
    this.last = { from, to, frames };
    return frames;
  }

  private drainBy(w: Watcher): void {
    if (!this.watchers.has(w) || w.deadline) return;
    w.deadline = setTimeout(() => this.end(w, FELL_BEHIND), WATCH_EXIT_DRAIN_MS);
    w.deadline.unref();
  }

  private end(w: Watcher, reason: string, letGo = true): void {
    if (!this.drop(w)) return;
    w.stream.end(encodeTerminalFrame({ type: 'error', message: fitText(reason) }));
    // A viewer that never reads what is queued does not keep it: let go after the grace.
    if (letGo) setTimeout(() => w.stream.destroy(), CLOSE_GRACE_MS).unref();
  }

  private drop(w: Watcher): boolean {
    if (!this.watchers.delete(w)) return false;
    w.detach();
    return true;
  }
}
