/**
 * The browser node's terminal sessions as the window sees them (the agent's `terminal.*` methods,
 * answered in the page, ADR 0094). Each wraps a BrowserTerminal (src-web/node/terminal.ts), which
 * keeps the session on the device across a dropped relay socket, and speaks to the window in the
 * window's terminal frames: SESSION first, then DATA, STATUS while the link is down and again once it
 * resumed, EXIT or ERROR at the end. Output is kept (the last REPLAY_BYTES of it) so a viewer that
 * attaches again gets what it missed. The node and its sockets live as long as the page; the
 * sessions outlive it: each is kept in the store (its device's session ID and how far its output was
 * received), and a reloaded page takes it up again on the device (BrowserTerminal.takeUp), with the
 * last TAKE_UP_REPLAY_BYTES of its output shown again, as the desktop window re-attaches on a reload.
 */
import {
  encodeDataFrames,
  encodeTerminalFrame,
  fitText,
  TerminalFrameDecoder,
  type ExitStatus,
} from '../../src-main/protocol/terminal-frames.js';
import { ReplayBuffer } from '../../src-main/terminal/sessions/replay-buffer.js';
import type { TerminalInfo } from '../../src-main/terminal/terminal-contract.js';
import type { BrowserNodeStore, StoredTerminal } from '../node/store.js';
import { TAKE_UP_REPLAY_BYTES, type BrowserTerminal, type TerminalEvents } from '../node/terminal.js';
import { randomHex } from './random-hex.js';
import { ViewerChannel } from './viewer-channel.js';

/** Output kept for a viewer that attaches again, in bytes (the window asks from where it stopped). */
export const REPLAY_BYTES = 1024 * 1024;

/** Opens a terminal on the device with these events (BrowserNode.openTerminal, or a fake). */
export type OpenDeviceTerminal = (
  peer: string,
  size: { cols: number; rows: number },
  events: TerminalEvents,
) => Promise<Pick<BrowserTerminal, 'write' | 'resize' | 'close'>>;

/** Takes a session up again on the device from output byte `from` (BrowserNode.takeUpTerminal, or a fake). */
export type TakeUpDeviceTerminal = (
  peer: string,
  where: { session: string; from: number },
  size: { cols: number; rows: number },
  events: TerminalEvents,
) => Pick<BrowserTerminal, 'write' | 'resize' | 'close'>;

/** Where the sessions are kept across a reload, and how a kept one is taken up again. */
export interface KeptTerminals {
  store: Pick<BrowserNodeStore, 'terminals' | 'saveTerminal' | 'forgetTerminal'>;
  takeUp: TakeUpDeviceTerminal;
}

/** What the window says of a session being taken up after a reload, until it resumed. */
export const TAKING_UP = 'taking the session up again after the page reloaded';

export class WindowTerminal {
  /** The window's ID for it (`terminal.attach`, `terminal.close`): 16 hex, as the agent's. */
  readonly id: string;
  /** The ID its SESSION frames carry. */
  readonly sessionId: string;
  readonly startedAt: string;
  state: TerminalInfo['state'] = 'connected';
  message: string | undefined;
  exit: ExitStatus | undefined;
  terminal: Pick<BrowserTerminal, 'write' | 'resize' | 'close'> | undefined;
  private viewer: ViewerChannel | undefined;
  /** Output kept, by session offset: the agent's byte ring, so a stream of tiny echoes costs no object each. */
  private readonly kept: ReplayBuffer;
  /** A frame to say once a viewer attaches (the last STATUS, or how it ended). */
  private last: Uint8Array | undefined;
  /** The size asked for last: what a reload takes the session up with. */
  size: { cols: number; rows: number };

  constructor(
    readonly peer: string,
    readonly peerName: string,
    size: { cols: number; rows: number },
    /** Told where the session stands each time it moves on (kept across a reload), null once it ended. */
    private readonly keep: (where: { session: string; received: number } | null) => void = () => undefined,
    /** A session kept before a reload, taken up from output byte `from`. */
    restored?: { stored: StoredTerminal; from: number },
  ) {
    this.size = { ...size };
    this.id = restored?.stored.id ?? randomHex(8);
    this.sessionId = restored?.stored.sessionId ?? randomHex(16);
    this.startedAt = restored?.stored.startedAt ?? new Date().toISOString();
    this.kept = new ReplayBuffer(REPLAY_BYTES, restored?.from ?? 0);
    if (restored) this.events.status?.('reconnecting', TAKING_UP);
  }

  /** What BrowserTerminal tells, turned into the window's frames. */
  readonly events: TerminalEvents = {
    output: (bytes) => {
      this.kept.append(bytes);
      for (const frame of encodeDataFrames(bytes)) this.viewer?.push(frame);
    },
    status: (state, detail) => {
      this.state = state === 'reconnecting' ? 'reconnecting' : 'connected';
      this.message = state === 'reconnecting' ? detail : undefined;
      const words =
        state === 'reconnecting' && detail !== TAKING_UP ? `the relay link dropped: ${detail}` : detail;
      this.last = encodeTerminalFrame({ type: 'status', state, detail: fitText(words) });
      this.viewer?.push(this.last);
    },
    progress: (where) => this.keep(where),
    end: ({ exit, error }) => {
      this.keep(null);
      this.state = exit ? 'exited' : 'failed';
      this.exit = exit;
      this.message = error;
      this.last = exit
        ? encodeTerminalFrame({ type: 'exit', status: exit })
        : encodeTerminalFrame({ type: 'error', message: fitText(error ?? 'the terminal ended') });
      this.viewer?.push(this.last);
      this.viewer?.end(null);
      this.viewer = undefined;
    },
  };

  get ended(): boolean {
    return this.state === 'exited' || this.state === 'failed';
  }

  /**
   * A viewer for the window: SESSION at `from` (where it stopped, when the kept output still holds
   * it; else from the oldest byte kept), the output since, then live output.
   */
  attach(from: number | undefined): { channel: ViewerChannel; offset: number; replayBytes: number } {
    this.viewer?.end('another viewer took this terminal');
    const decoder = new TerminalFrameDecoder();
    const channel: ViewerChannel = new ViewerChannel(
      (bytes) => this.input(decoder, bytes),
      () => {
        if (this.viewer === channel) this.viewer = undefined;
      },
    );
    const { end } = this.kept;
    const start = from !== undefined && from >= this.kept.start && from <= end ? from : this.kept.start;
    channel.push(encodeTerminalFrame({ type: 'session', id: this.sessionId, offset: start }));
    const missed = this.kept.since(start) ?? new Uint8Array(0);
    if (missed.length > 0) for (const f of encodeDataFrames(missed)) channel.push(f);
    if (this.last) channel.push(this.last);
    if (this.ended) channel.end(null);
    else this.viewer = channel;
    return { channel, offset: start, replayBytes: end - start };
  }

  /** Hangs the session up on the device. */
  close(): void {
    this.terminal?.close();
    this.viewer?.end(null);
    this.viewer = undefined;
  }

  info(): TerminalInfo {
    return {
      id: this.id,
      peer: this.peer,
      peerName: this.peerName,
      state: this.state,
      path: this.ended ? null : 'relay',
      ...(this.exit ? { exit: this.exit } : {}),
      ...(this.message ? { message: this.message } : {}),
      attached: this.viewer !== undefined,
      startedAt: this.startedAt,
    };
  }

  private input(decoder: TerminalFrameDecoder, bytes: Uint8Array): void {
    let frames;
    try {
      frames = decoder.push(bytes);
    } catch {
      return; // the window's own codec wrote it: nothing else sends here
    }
    for (const frame of frames) {
      if (frame.type === 'data') this.terminal?.write(frame.data);
      else if (frame.type === 'resize') {
        this.size = { cols: frame.cols, rows: frame.rows };
        this.terminal?.resize(frame.cols, frame.rows);
      }
      // ACK: the node acknowledges the device as output reaches the window; nothing to do here.
    }
  }
}

/** Every session of this page, by the window's ID. */
export class TerminalSessions {
  private readonly sessions = new Map<string, WindowTerminal>();

  constructor(
    private readonly open: OpenDeviceTerminal,
    /** Where sessions are kept across a reload; without it (tests) a reload starts with none. */
    private readonly kept?: KeptTerminals,
  ) {}

  /** A new shell on `peer`: resolves once the device accepted it. @throws the device's refusal. */
  async start(
    peer: string,
    peerName: string,
    size: { cols: number; rows: number },
  ): Promise<{ session: WindowTerminal; channel: ViewerChannel }> {
    // Told only once the device answered, so `session` is there by then.
    const session: WindowTerminal = new WindowTerminal(peer, peerName, size, (where) =>
      this.keep(session, where),
    );
    session.terminal = await this.open(peer, size, session.events);
    this.sessions.set(session.id, session);
    return { session, channel: session.attach(0).channel };
  }

  /**
   * After a reload: each session the page kept is taken up again on its device, from
   * TAKE_UP_REPLAY_BYTES before where its output stood (that much is shown again). Listed at once,
   * as reconnecting, so the window finds its tabs; a session the device no longer has ends as failed.
   */
  async restore(): Promise<void> {
    if (!this.kept) return;
    const { store, takeUp } = this.kept;
    for (const stored of await store.terminals()) {
      if (this.sessions.has(stored.id)) continue;
      const from = Math.max(0, stored.offset - TAKE_UP_REPLAY_BYTES);
      const size = { cols: stored.cols, rows: stored.rows };
      const session: WindowTerminal = new WindowTerminal(
        stored.peer,
        stored.peerName,
        size,
        (where) => this.keep(session, where, stored),
        { stored, from },
      );
      session.terminal = takeUp(stored.peer, { session: stored.remote, from }, size, session.events);
      this.sessions.set(session.id, session);
    }
  }

  /** Keeps where `session` stands (null: it ended, forget it), best effort: a reload then loses only it. */
  private keep(
    session: WindowTerminal,
    where: { session: string; received: number } | null,
    before?: StoredTerminal,
  ): void {
    if (!this.kept) return;
    const { store } = this.kept;
    const saved = where
      ? store.saveTerminal({
          id: session.id,
          sessionId: session.sessionId,
          peer: session.peer,
          peerName: session.peerName,
          startedAt: session.startedAt,
          remote: where.session,
          offset: Math.max(where.received, before?.offset ?? 0),
          ...session.size,
        })
      : store.forgetTerminal(session.id);
    // A store that failed (private browsing, quota): the session goes on; only a reload would lose it.
    saved.catch(() => undefined);
  }

  get(id: string): WindowTerminal | undefined {
    return this.sessions.get(id);
  }

  list(): TerminalInfo[] {
    return [...this.sessions.values()].map((s) => s.info());
  }

  /** Hangs up a live session, or forgets an ended one. */
  close(id: string): boolean {
    const session = this.sessions.get(id);
    if (!session) return false;
    session.close();
    this.sessions.delete(id);
    this.kept?.store.forgetTerminal(id).catch(() => undefined);
    return true;
  }
}
