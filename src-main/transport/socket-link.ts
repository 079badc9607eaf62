/**
 * A Link over a TLS socket carrying length-prefixed frames. The socket has already been authenticated
 * (peer certificate pinned) by the time this object exists.
 */
import type { TLSSocket } from 'node:tls';
import { Emitter } from '../core/emitter.js';
import { ClawError } from '../core/errors.js';
import { LENGTH_HEADER_BYTES, LengthPrefixedDecoder } from '../protocol/length-prefixed.js';
import { FrameBuffers } from './frame-buffers.js';
import { MAX_LINK_FRAME, type Link, type PartsLink, type PathKind, type PiecesLink } from './link.js';

/**
 * Bytes queued on the socket above which `send` returns false (128 KiB, two full mux DATA frames).
 * Frames sent in one tick leave together when the socket is uncorked, so the mark must let more than
 * one frame queue; the kernel's socket buffer, not this mark, holds the bulk of what is in flight.
 */
export const SOCKET_LINK_HIGH_WATER_BYTES = 128 * 1024;

/**
 * Frames up to this many bytes (with prefix) get a fresh buffer from Node's small-buffer pool; larger
 * ones a reused frame buffer. Control frames are tens of bytes: a 64 KiB buffer each would be waste.
 */
const SMALL_FRAME_BYTES = 4096;

/**
 * Reused bulk-frame buffers of all direct links in this process: 16 × 64 KiB kept at most (1 MiB),
 * enough for what the links' high-water marks let queue at once.
 */
const frameBuffers = new FrameBuffers(LENGTH_HEADER_BYTES + MAX_LINK_FRAME, 16);

const EMPTY = new Uint8Array(0);

type Events = { frame: [Uint8Array]; pieces: [readonly Buffer[]]; drain: []; close: [Error | undefined] };

export class SocketLink implements Link, PartsLink, PiecesLink {
  private readonly events = new Emitter<Events>();
  private readonly decoder = new LengthPrefixedDecoder(MAX_LINK_FRAME);
  private isClosed = false;
  /** A reader takes frames as pieces (onFramePieces): they are then never copied into one buffer. */
  private piecesWanted = false;
  /** True once a frame listener came and the socket is read. */
  private reading = false;
  /** Frames that arrived with the handshake preamble, until reading starts. */
  private leftover: Buffer | undefined;
  /** True from the first send of a tick until the socket is uncorked at the end of it. */
  private corked = false;
  private readonly uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
  };

  constructor(
    private readonly socket: TLSSocket,
    readonly peerId: string,
    readonly remote: string,
    readonly initiator: boolean,
    /** Frames that arrived in the same chunk as the handshake preamble. */
    leftover?: Buffer,
    /** `relay` for TLS through a relay's splice (transport/splice-link.ts). */
    readonly path: PathKind = 'direct',
  ) {
    // Reading starts with the first frame listener (startReading): until then the socket holds what
    // arrives, so a link handed over a few turns after its handshake (a splice) loses no frame.
    this.leftover = leftover && leftover.length > 0 ? leftover : undefined;
    socket.on('drain', () => this.events.emit('drain'));
    socket.on('error', (err: Error) =>
      this.finish(new ClawError('LINK_CLOSED', `${path} link to ${remote} failed: ${err.message}`)),
    );
    // Through a relay's splice the socket is the relay's: it closes when the relay goes away as well
    // as when the peer does, and which of the two is not known here.
    const closedBy = path === 'relay' ? 'closed (by the relay or by the peer)' : 'closed by peer';
    socket.on('close', () =>
      this.finish(new ClawError('LINK_CLOSED', `${path} link to ${remote} ${closedBy}`)),
    );
  }

  private startReading(): void {
    if (this.reading) return;
    this.reading = true;
    const leftover = this.leftover;
    this.leftover = undefined;
    // The socket starts flowing on a later tick (nextTick), and nextTicks run in order: the bytes that
    // came with the preamble are handled before anything the socket held.
    if (leftover) process.nextTick(() => this.onData(leftover));
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  get closed(): boolean {
    return this.isClosed;
  }

  send(frame: Uint8Array): boolean {
    return this.sendParts(EMPTY, frame);
  }

  /**
   * `send(head ‖ body)` in one write: length prefix, head and body copied into one buffer — a reused
   * one for bulk frames, so a DATA frame costs a copy but no allocation — and both parts are read
   * before it returns (PartsLink).
   */
  sendParts(head: Uint8Array, body: Uint8Array): boolean {
    if (this.isClosed) return false;
    const length = head.length + body.length;
    if (length > MAX_LINK_FRAME) {
      throw new ClawError('FRAME_TOO_LARGE', `link frame of ${length} bytes exceeds ${MAX_LINK_FRAME}`);
    }
    if (!this.corked) {
      // Every frame of this tick leaves in one writev when uncorked: fewer syscalls and TLS records.
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
    const size = LENGTH_HEADER_BYTES + length;
    const pooled = size > SMALL_FRAME_BYTES;
    const buffer = pooled ? frameBuffers.take() : Buffer.allocUnsafe(size);
    buffer.writeUInt32BE(length, 0);
    buffer.set(head, LENGTH_HEADER_BYTES);
    buffer.set(body, LENGTH_HEADER_BYTES + head.length);
    if (pooled) this.socket.write(buffer.subarray(0, size), () => frameBuffers.give(buffer));
    else this.socket.write(buffer);
    // Not write()'s own verdict: that turns false at the socket's 16 KiB mark, i.e. at every DATA frame.
    return this.socket.writableLength < SOCKET_LINK_HIGH_WATER_BYTES;
  }

  onFrame(listener: (frame: Uint8Array) => void) {
    const dispose = this.events.on('frame', listener);
    this.startReading();
    return dispose;
  }
  onFramePieces(listener: (pieces: readonly Buffer[]) => void) {
    this.piecesWanted = true;
    const dispose = this.events.on('pieces', listener);
    this.startReading();
    return dispose;
  }
  onDrain(listener: () => void) {
    return this.events.on('drain', listener);
  }
  onClose(listener: (error?: Error) => void) {
    return this.events.on('close', listener);
  }

  close(reason?: string): void {
    if (this.isClosed) return;
    this.socket.end();
    // end() flushes queued frames; destroy after a grace period in case the peer never answers the FIN.
    setTimeout(() => this.socket.destroy(), 2000).unref();
    this.finish(reason ? new ClawError('LINK_CLOSED', reason) : undefined, true);
  }

  private onData(chunk: Buffer): void {
    if (this.isClosed) return;
    let frames: Buffer[] | undefined;
    let pieceLists: Buffer[][] | undefined;
    try {
      if (this.piecesWanted) pieceLists = this.decoder.pushPieces(chunk);
      else frames = this.decoder.push(chunk);
    } catch (err) {
      this.socket.destroy();
      this.finish(err as Error);
      return;
    }
    for (const pieces of pieceLists ?? []) {
      if (this.isClosed) return;
      this.events.emit('pieces', pieces);
    }
    for (const frame of frames ?? []) {
      if (this.isClosed) return;
      this.events.emit('frame', frame);
    }
  }

  private finish(error: Error | undefined, local = false): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (!local) this.socket.destroy();
    this.events.emit('close', local ? undefined : error);
    this.events.removeAll();
  }
}
