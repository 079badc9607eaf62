/**
 * A Link over a TLS socket carrying length-prefixed frames. The socket has already been authenticated
 * (peer certificate pinned) by the time this object exists.
 */
import type { TLSSocket } from 'node:tls';
import { Emitter } from '../core/emitter.js';
import { ClawError } from '../core/errors.js';
import {
  encodeLengthPrefixed,
  LENGTH_HEADER_BYTES,
  LengthPrefixedDecoder,
} from '../protocol/length-prefixed.js';
const SOCKET_LINK_HIGH_WATER_BYTES = 256 * 1024;
import { MAX_LINK_FRAME, type Link, type PathKind } from './link.js';

type Events = { frame: [Uint8Array]; drain: []; close: [Error | undefined] };

export class SocketLink implements Link {
  readonly path: PathKind = 'direct';
  private readonly events = new Emitter<Events>();
  private readonly decoder = new LengthPrefixedDecoder(MAX_LINK_FRAME);
  private isClosed = false;

  constructor(
    private readonly socket: TLSSocket,
    readonly peerId: string,
    readonly remote: string,
    readonly initiator: boolean,
    /** Frames that arrived in the same chunk as the handshake preamble. */
    leftover?: Buffer,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.events.emit('drain'));
    socket.on('error', (err: Error) =>
      this.finish(new ClawError('LINK_CLOSED', `direct link to ${remote} failed: ${err.message}`)),
    );
    socket.on('close', () =>
      this.finish(new ClawError('LINK_CLOSED', `direct link to ${remote} closed by peer`)),
    );
    if (leftover && leftover.length > 0) queueMicrotask(() => this.onData(leftover));
  }

  get closed(): boolean {
    return this.isClosed;
  }

  send(frame: Uint8Array): boolean {
    if (this.isClosed) return false;
    if (frame.length > MAX_LINK_FRAME) {
      throw new ClawError('FRAME_TOO_LARGE', `link frame of ${frame.length} bytes exceeds ${MAX_LINK_FRAME}`);
    }
    const header = Buffer.allocUnsafe(LENGTH_HEADER_BYTES);
    header.writeUInt32BE(frame.length, 0);
    if (!this.corked) {
      // Everything sent in this tick leaves in one writev: no copy to prepend the length, fewer syscalls.
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
    this.socket.write(header);
    this.socket.write(frame);
    return this.socket.writableLength < SOCKET_LINK_HIGH_WATER_BYTES;
  }

  private corked = false;
  private readonly uncork = () => {
    this.corked = false;
    this.socket.uncork();
  };

  onFrame(listener: (frame: Uint8Array) => void) {
    return this.events.on('frame', listener);
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
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.socket.destroy();
      this.finish(err as Error);
      return;
    }
    for (const frame of frames) {
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
