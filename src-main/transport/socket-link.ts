/**
 * A Link over a TLS socket carrying length-prefixed frames. The socket has already been authenticated
 * (peer certificate pinned) by the time this object exists.
 */
import type { TLSSocket } from 'node:tls';
import { Emitter } from '../core/emitter.js';
import { ClawError } from '../core/errors.js';
import { LENGTH_HEADER_BYTES, LengthPrefixedDecoder } from '../protocol/length-prefixed.js';
import { FrameBuffers } from './frame-buffers.js';
import { releaseReceived, type SlabReader } from './receive-slabs.js';
import { MAX_LINK_FRAME, type Link, type PartsLink, type PathKind, type PiecesLink } from './link.js';

/**
 * Bytes queued on the socket above which `send` returns false (128 KiB, two full mux DATA frames).
 * Frames sent in one tick leave together when the socket is uncorked, so the mark must let more than
 * one frame queue; the kernel's socket buffer, not this mark, holds the bulk of what is in flight.
 */
export const SOCKET_LINK_HIGH_WATER_BYTES = 128 * 1024;

/**
 * Bytes of one batch buffer (256 KiB, four full DATA frames). The frames sent in one tick are copied
 * into batches, and each batch leaves in one write of one buffer. Why not cork the socket and write
 * each frame: Node's TLS socket turns a writev of several buffers into one zero-filled allocation of
 * their total size and a second copy of every byte (TLSWrap::DoWrite), and at hundreds of MB/s that
 * allocation faults in fresh pages; one buffer a write is encrypted where it lies.
 */
export const BATCH_BYTES = 256 * 1024;

/**
 * Reused batch buffers of all links in this process: 16 × 256 KiB kept at most (4 MiB), more than
 * the links' high-water marks let queue at once. A link holds one only within a tick and while its
 * write is under way, so an idle link holds none.
 */
const batchBuffers = new FrameBuffers(BATCH_BYTES, 16);

const EMPTY = new Uint8Array(0);

type Events = { frame: [Uint8Array]; pieces: [readonly Buffer[]]; drain: []; close: [Error | undefined] };

export class SocketLink implements Link, PartsLink, PiecesLink {
  /** Set on a listener's link whose dialer named a quiet lane's token (lane-token.ts). */
  laneToken: string | undefined;
  private readonly events = new Emitter<Events>();
  private readonly decoder: LengthPrefixedDecoder;
  private isClosed = false;
  /** A reader takes frames as pieces (onFramePieces): they are then never copied into one buffer. */
  private piecesWanted = false;
  /** True once a frame listener came and the socket is read. */
  private reading = false;
  /** Frames that arrived with the handshake preamble, until reading starts. */
  private leftover: Buffer | undefined;
  /** The batch this tick's frames are copied into, and how much of it is used. */
  private batch: Buffer | undefined;
  private batchUsed = 0;
  /** True while a flush of the batch is scheduled for the end of this tick. */
  private flushScheduled = false;
  private readonly flushAtTickEnd = (): void => {
    this.flushScheduled = false;
    this.flushBatch();
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
    /** The socket reads into reused slabs (a dialer's: receive-slabs.ts); 'data' is then never emitted. */
    private readonly slabReader?: SlabReader,
  ) {
    // Length headers read into a slab are released once parsed: nothing reads them again.
    this.decoder = new LengthPrefixedDecoder(MAX_LINK_FRAME, slabReader ? releaseReceived : undefined);
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
    const reader = this.slabReader;
    if (reader) {
      // What the reader read meanwhile waits in it, after the leftover.
      process.nextTick(() => {
        if (leftover) this.onData(leftover);
        if (!this.isClosed) reader.setSink((chunk) => this.onData(chunk));
      });
      return;
    }
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
   * `send(head ‖ body)`: length prefix, head and body are copied into this tick's batch (see
   * BATCH_BYTES), which leaves at the end of the tick, so both parts are read before it returns
   * (PartsLink) and a frame costs one copy but no allocation.
   */
  sendParts(head: Uint8Array, body: Uint8Array): boolean {
    if (this.isClosed) return false;
    const length = head.length + body.length;
    if (length > MAX_LINK_FRAME) {
      throw new ClawError('FRAME_TOO_LARGE', `link frame of ${length} bytes exceeds ${MAX_LINK_FRAME}`);
    }
    this.batchWith(LENGTH_HEADER_BYTES).writeUInt32BE(length, this.batchUsed);
    this.batchUsed += LENGTH_HEADER_BYTES;
    this.copyIn(head);
    this.copyIn(body);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(this.flushAtTickEnd);
    }
    // Not write()'s own verdict: that turns false at the socket's 16 KiB mark, i.e. at every DATA frame.
    return this.socket.writableLength + this.batchUsed < SOCKET_LINK_HIGH_WATER_BYTES;
  }

  /** Copies `bytes` into the batch, writing out each batch it fills (a frame may span two). */
  private copyIn(bytes: Uint8Array): void {
    let offset = 0;
    while (offset < bytes.length) {
      const batch = this.batchWith(1);
      const n = Math.min(batch.length - this.batchUsed, bytes.length - offset);
      batch.set(n === bytes.length ? bytes : bytes.subarray(offset, offset + n), this.batchUsed);
      this.batchUsed += n;
      offset += n;
    }
  }

  /** The batch, with at least `room` unused bytes after batchUsed (a fuller one is written out first). */
  private batchWith(room: number): Buffer {
    if (this.batch && this.batch.length - this.batchUsed < room) this.flushBatch();
    return (this.batch ??= batchBuffers.take());
  }

  /** Writes what the batch holds; the buffer goes back to the pool once the socket wrote it. */
  private flushBatch(): void {
    const batch = this.batch;
    if (!batch) return;
    const used = this.batchUsed;
    this.batch = undefined;
    this.batchUsed = 0;
    if (used === 0 || this.isClosed) {
      batchBuffers.give(batch);
      return;
    }
    this.socket.write(batch.subarray(0, used), () => batchBuffers.give(batch));
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
    this.flushBatch();
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
    this.flushBatch();
    // What still arrives is dropped (left to the GC) rather than kept for a sink that never comes.
    this.slabReader?.setSink(() => undefined);
    this.slabReader?.close();
    if (!local) this.socket.destroy();
    this.events.emit('close', local ? undefined : error);
    this.events.removeAll();
  }
}
