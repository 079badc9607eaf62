/**
 * A Link that can move to another transport to the same peer while every stream on it goes on: the
 * relay link's E2E circuit is replaced by a spliced TLS connection (transport/splice-link.ts, ADR 0013)
 * under the same mux. Each side switches its sending on its own: it sends SWITCH_MARKER as its last
 * frame on the old transport, then sends on the new one. The receiver delivers the old transport's
 * frames up to the peer's marker and holds what arrives on the new one until then, so frames keep their
 * order. Once both markers have passed, the old transport has nothing left to carry and is closed.
 */
import { Emitter, type Disposer } from '../core/emitter.js';
import { ClawError } from '../core/errors.js';
import type { SpliceJoin } from '../protocol/relay-splice.js';
import type { Link, PartsLink, PathKind, PiecesLink } from './link.js';
import { DisposableStore } from '../core/disposables.js';

/**
 * The last frame a side sends on the old transport. One byte: every mux frame has a 6-byte header, so
 * no mux frame is ever this.
 */
export const SWITCH_MARKER = Uint8Array.of(0xff);

type Events = { pieces: [readonly Buffer[]]; drain: []; close: [Error | undefined] };

function isMarker(frame: Uint8Array): boolean {
  return frame.length === 1 && frame[0] === SWITCH_MARKER[0];
}

export class UpgradableLink implements Link, PartsLink, PiecesLink {
  readonly peerId: string;
  readonly path: PathKind;
  readonly initiator: boolean;
  private readonly events = new Emitter<Events>();
  private sending: Link;
  private next: Link | undefined;
  /** Frames from `next` that came before the peer's marker on the old transport. */
  private held: (readonly Buffer[])[] = [];
  private markerReceived = false;
  private readonly disposables = new DisposableStore();
  private isClosed = false;

  constructor(private readonly first: Link) {
    this.peerId = first.peerId;
    this.path = first.path;
    this.initiator = first.initiator;
    this.sending = first;
    this.disposables.add(
      first.onFrame((frame) => this.fromFirst(frame)),
      first.onDrain(() => this.sending === first && this.events.emit('drain')),
      first.onClose((error) => {
        // After the switch the old transport is closed on purpose (or by the relay): nothing rides on it.
        if (!this.next || !this.markerReceived) this.finish(error);
      }),
    );
  }

  /** Where the bytes go now: the relay URL either way. */
  get remote(): string {
    return this.sending.remote;
  }

  /** Tells the relay this end agrees to splice (Circuit.offerSplice); undefined when it cannot. */
  offerSplice(token: Uint8Array): SpliceJoin | undefined {
    const offer = (this.first as { offerSplice?: (token: Uint8Array) => SpliceJoin | undefined }).offerSplice;
    if (this.isClosed || this.next || typeof offer !== 'function') return undefined;
    return offer.call(this.first, token);
  }

  /** True once this side sends on the new transport. */
  get upgraded(): boolean {
    return this.next !== undefined;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Moves to `next` (a link to the same peer): the marker goes out on the old transport, everything
   * after it on `next`. Once upgraded, the link lives and dies with `next`.
   * @throws ClawError('BAD_ARGUMENT') for a link to another peer or a second upgrade.
   */
  upgrade(next: Link & Partial<PiecesLink>): void {
    if (next.peerId !== this.peerId) {
      throw new ClawError('BAD_ARGUMENT', 'a link can only move to a transport to the same peer');
    }
    if (this.next) throw new ClawError('BAD_ARGUMENT', 'this link has already moved');
    if (this.isClosed) return next.close('link already closed');
    this.next = next;
    const onPieces = (pieces: readonly Buffer[]) => {
      if (this.markerReceived) this.events.emit('pieces', pieces);
      else this.held.push(pieces);
    };
    this.disposables.add(
      typeof next.onFramePieces === 'function'
        ? next.onFramePieces(onPieces)
        : next.onFrame((frame) => onPieces([Buffer.from(frame.buffer, frame.byteOffset, frame.length)])),
      next.onDrain(() => this.events.emit('drain')),
      next.onClose((error) =>
        this.finish(error ?? new ClawError('LINK_CLOSED', `relay link to ${this.peerId.slice(0, 8)} closed`)),
      ),
    );
    this.first.send(SWITCH_MARKER);
    this.sending = next;
    // A writer waiting for the old transport's drain would wait for good: that drain is no longer
    // passed on, and the new transport refused nothing, so it will not send one. Tell it to go on.
    queueMicrotask(() => !this.isClosed && this.events.emit('drain'));
    this.retireFirst();
  }

  private fromFirst(frame: Uint8Array): void {
    if (this.isClosed) return;
    if (this.markerReceived) return; // nothing may follow the marker
    if (!isMarker(frame)) {
      this.events.emit('pieces', [Buffer.from(frame.buffer, frame.byteOffset, frame.length)]);
      return;
    }
    this.markerReceived = true;
    for (const pieces of this.held.splice(0)) {
      if (this.isClosed) return;
      this.events.emit('pieces', pieces);
    }
    this.retireFirst();
  }

  /** The old transport goes once this side sent its marker and the peer's has arrived. */
  private retireFirst(): void {
    if (this.next && this.markerReceived && !this.first.closed) this.first.close('moved to a splice');
  }

  send(frame: Uint8Array): boolean {
    return this.isClosed ? false : this.sending.send(frame);
  }

  sendParts(head: Uint8Array, body: Uint8Array): boolean {
    if (this.isClosed) return false;
    const parts = (this.sending as Partial<PartsLink>).sendParts;
    if (typeof parts === 'function') return parts.call(this.sending, head, body);
    return this.sending.send(Buffer.concat([head, body]));
  }

  onFramePieces(listener: (pieces: readonly Buffer[]) => void): () => void {
    return this.events.on('pieces', listener);
  }

  onFrame(listener: (frame: Uint8Array) => void): Disposer {
    return this.events.on('pieces', (pieces) =>
      listener(pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces)),
    );
  }

  onDrain(listener: () => void): Disposer {
    return this.events.on('drain', listener);
  }

  onClose(listener: (error?: Error) => void): Disposer {
    return this.events.on('close', listener);
  }

  close(reason?: string): void {
    if (this.isClosed) return;
    // The transports first, with the reason, so the peer learns it (finish() would close them without).
    this.first.close(reason);
    this.next?.close(reason);
    this.finish(undefined);
  }

  private finish(error: Error | undefined): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.held = [];
    this.disposables.dispose();
    this.first.close();
    this.next?.close();
    this.events.emit('close', error);
    this.events.removeAll();
  }
}
