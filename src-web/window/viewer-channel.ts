/**
 * The window's end of a terminal stream that the browser node answers itself (ADR 0094): what a
 * WebSocket or a MessagePort is for the agent's window, here in memory. The node pushes whole terminal
 * frames to the window; the window's frames (input, resize, ACK) go to `onInput`. Frames pushed before
 * the window listens are kept and handed over, in order, once it does (after the current task, so the
 * window has finished taking the channel over), as a socket would deliver them later too.
 */
import type { Disposer, StreamChannel } from '../../src-renderer/api/transport.js';

export class ViewerChannel implements StreamChannel {
  private readonly messages = new Set<(bytes: Uint8Array) => void>();
  private readonly closes = new Set<(reason: string | null) => void>();
  private held: Uint8Array[] = [];
  private flushing = false;
  /** Set once it ended: `null` cleanly, or why. */
  private endedWith: string | null | undefined;
  /** The window closed its end. */
  private closedByWindow = false;

  constructor(
    /** A frame (or frames) the window sent: input, resize, ACK. */
    private readonly onInput: (bytes: Uint8Array) => void,
    /** The window closed its end (the session goes on without a viewer). */
    private readonly onWindowClose: () => void,
  ) {}

  get open(): boolean {
    return this.endedWith === undefined && !this.closedByWindow;
  }

  // The window's side.

  send(bytes: Uint8Array): void {
    if (this.open) this.onInput(bytes);
  }

  onMessage(listener: (bytes: Uint8Array) => void): Disposer {
    this.messages.add(listener);
    this.flushSoon();
    return () => this.messages.delete(listener);
  }

  onClose(listener: (reason: string | null) => void): Disposer {
    this.closes.add(listener);
    this.flushSoon();
    return () => this.closes.delete(listener);
  }

  close(): void {
    if (!this.open) return;
    this.closedByWindow = true;
    this.held = [];
    this.onWindowClose();
  }

  // The node's side.

  /** Hands the window a frame (kept until it listens). */
  push(bytes: Uint8Array): void {
    if (!this.open) return;
    this.held.push(bytes);
    this.flushSoon();
  }

  /** Ends the stream for the window, after every frame pushed before. */
  end(reason: string | null): void {
    if (!this.open) return;
    this.endedWith = reason;
    this.flushSoon();
  }

  private flushSoon(): void {
    if (this.flushing || this.messages.size === 0) return;
    this.flushing = true;
    queueMicrotask(() => {
      this.flushing = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.messages.size === 0) return;
    for (const bytes of this.held.splice(0)) for (const l of [...this.messages]) l(bytes);
    if (this.endedWith !== undefined && this.closes.size > 0) {
      const reason = this.endedWith;
      const listeners = [...this.closes];
      this.closes.clear();
      this.messages.clear();
      for (const l of listeners) l(reason);
    }
  }
}
