/**
 * The browser node's terminal sessions as the window sees them (the agent's `terminal.*` methods,
 * answered in the page, ADR 0094). Each wraps a BrowserTerminal (src-web/node/terminal.ts), which
 * keeps the session on the device across a dropped relay socket, and speaks to the window in the
 * window's terminal frames: SESSION first, then DATA, STATUS while the link is down and again once it
 * resumed, EXIT or ERROR at the end. Output is kept (the last REPLAY_BYTES of it) so a viewer that
 * attaches again gets what it missed. The node and its sockets live as long as the page: a reload
 * starts with no sessions.
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
import type { BrowserTerminal, TerminalEvents } from '../node/terminal.js';
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

export class WindowTerminal {
  /** The window's ID for it (`terminal.attach`, `terminal.close`): 16 hex, as the agent's. */
  readonly id = randomHex(8);
  /** The ID its SESSION frames carry. */
  private readonly sessionId = randomHex(16);
  readonly startedAt = new Date().toISOString();
  state: TerminalInfo['state'] = 'connected';
  message: string | undefined;
  exit: ExitStatus | undefined;
  terminal: Pick<BrowserTerminal, 'write' | 'resize' | 'close'> | undefined;
  private viewer: ViewerChannel | undefined;
  /** Output kept, by session offset: the agent's byte ring, so a stream of tiny echoes costs no object each. */
  private readonly kept = new ReplayBuffer(REPLAY_BYTES);
  /** A frame to say once a viewer attaches (the last STATUS, or how it ended). */
  private last: Uint8Array | undefined;

  constructor(
    readonly peer: string,
    readonly peerName: string,
  ) {}

  /** What BrowserTerminal tells, turned into the window's frames. */
  readonly events: TerminalEvents = {
    output: (bytes) => {
      this.kept.append(bytes);
      for (const frame of encodeDataFrames(bytes)) this.viewer?.push(frame);
    },
    status: (state, detail) => {
      this.state = state === 'reconnecting' ? 'reconnecting' : 'connected';
      this.message = state === 'reconnecting' ? detail : undefined;
      const words = state === 'reconnecting' ? `the relay link dropped: ${detail}` : detail;
      this.last = encodeTerminalFrame({ type: 'status', state, detail: fitText(words) });
      this.viewer?.push(this.last);
    },
    end: ({ exit, error }) => {
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
      else if (frame.type === 'resize') this.terminal?.resize(frame.cols, frame.rows);
      // ACK: the node acknowledges the device as output reaches the window; nothing to do here.
    }
  }
}

/** Every session of this page, by the window's ID. */
export class TerminalSessions {
  private readonly sessions = new Map<string, WindowTerminal>();

  constructor(private readonly open: OpenDeviceTerminal) {}

  /** A new shell on `peer`: resolves once the device accepted it. @throws the device's refusal. */
  async start(
    peer: string,
    peerName: string,
    size: { cols: number; rows: number },
  ): Promise<{ session: WindowTerminal; channel: ViewerChannel }> {
    const session = new WindowTerminal(peer, peerName);
    session.terminal = await this.open(peer, size, session.events);
    this.sessions.set(session.id, session);
    return { session, channel: session.attach(0).channel };
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
    return true;
  }
}
