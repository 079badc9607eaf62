/**
 * Reads a Circuit one frame at a time with a deadline: how the pairing exchange (a few messages, one
 * after the other) consumes a circuit. Frames that arrive before they are asked for wait in order.
 */
import { ClawError } from '../core/errors.js';
import type { RefusalCode } from '../core/refusal-codes.js';
import type { SpliceJoin } from '../protocol/relay-splice.js';
import type { Circuit } from './circuit.js';
import { isFramingCircuit } from './relay-circuit.js';

export class FrameQueue {
  private readonly frames: Uint8Array[] = [];
  private waiter: { resolve(f: Uint8Array): void; reject(e: Error): void } | undefined;
  private ended: Error | undefined;

  constructor(readonly circuit: Circuit) {
    circuit.onFrame((f) => {
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = undefined;
        w.resolve(f);
      } else this.frames.push(f);
    });
    circuit.onClose((err) => {
      this.ended = err ?? new ClawError('LINK_CLOSED', 'the other side closed the connection');
      this.waiter?.reject(this.ended);
      this.waiter = undefined;
    });
  }

  /** The next frame, or a ClawError('TIMEOUT' | 'LINK_CLOSED'). `what` names it in the timeout error. */
  next(timeoutMs: number, what: string): Promise<Uint8Array> {
    const queued = this.frames.shift();
    if (queued) return Promise.resolve(queued);
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new ClawError('TIMEOUT', `timed out waiting for ${what}`));
      }, timeoutMs);
      this.waiter = {
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }
}

/**
 * Holds every frame of `inner` until an owner listens, so the first frame can be looked at to decide
 * which protocol the circuit speaks (E2E link or pairing) and the chosen handler still sees all frames.
 */
export class HeldCircuit implements Circuit {
  private held: Uint8Array[] | undefined = [];
  private readonly listeners = new Set<(f: Uint8Array) => void>();
  private firstWaiter: ((f: Uint8Array) => void) | undefined;
  /** Passed through from a relay circuit, so the E2E link can still seal records in place. */
  readonly headroom?: number;
  readonly sendFramed?: (buf: Uint8Array) => boolean;
  readonly offerSplice?: (token: Uint8Array) => SpliceJoin | undefined;

  constructor(private readonly inner: Circuit) {
    if (inner.offerSplice) this.offerSplice = (token) => inner.offerSplice?.(token);
    if (isFramingCircuit(inner)) {
      this.headroom = inner.headroom;
      this.sendFramed = (buf) => inner.sendFramed(buf);
    }
    inner.onFrame((f) => {
      if (this.held) {
        this.held.push(f);
        if (this.held.length === 1) this.firstWaiter?.(f);
      } else for (const l of [...this.listeners]) l(f);
    });
  }

  get claimedPeerId() {
    return this.inner.claimedPeerId;
  }
  get relayUrl() {
    return this.inner.relayUrl;
  }
  get initiator() {
    return this.inner.initiator;
  }
  get closed() {
    return this.inner.closed;
  }

  /** The first frame, without consuming it. */
  first(timeoutMs: number): Promise<Uint8Array> {
    const f = this.held?.[0];
    if (f) return Promise.resolve(f);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        dispose();
        reject(new ClawError('TIMEOUT', 'the other side sent nothing'));
      }, timeoutMs);
      const dispose = this.inner.onClose((err) => {
        clearTimeout(timer);
        reject(err ?? new ClawError('LINK_CLOSED', 'closed before the first message'));
      });
      this.firstWaiter = (frame) => {
        clearTimeout(timer);
        dispose();
        resolve(frame);
      };
    });
  }

  send(frame: Uint8Array): boolean {
    return this.inner.send(frame);
  }

  onFrame(listener: (frame: Uint8Array) => void) {
    this.listeners.add(listener);
    const held = this.held;
    if (held) {
      // Deliver what arrived so far, in order, before anything newer (which is held until then).
      queueMicrotask(() => {
        this.held = undefined;
        for (const f of held) for (const l of [...this.listeners]) l(f);
      });
    }
    return () => {
      this.listeners.delete(listener);
    };
  }
  onDrain(listener: () => void) {
    return this.inner.onDrain(listener);
  }
  onClose(listener: (error?: Error) => void) {
    return this.inner.onClose(listener);
  }
  close(reason?: string, refusal?: RefusalCode): void {
    this.inner.close(reason, refusal);
  }
}
