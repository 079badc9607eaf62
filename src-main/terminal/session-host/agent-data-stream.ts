/**
 * The session host's side of one session connection, as the Duplex a ServerSession serves: what the
 * agent sends is length-prefixed (an empty chunk is the client's FIN), what the session writes goes out
 * as it is (terminal frames). The framing exists for one reason: an agent killed with `kill -9` also
 * closes its end of the socket, and the host must not take that for the client hanging up — a FIN
 * that did not come as an empty chunk is a lost stream, which the session waits out for a resume.
 */
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { ClawError } from '../../core/errors.js';
import { encodeLengthPrefixed, LengthPrefixedDecoder } from '../../protocol/length-prefixed.js';

/** Largest chunk of client bytes in one frame (1 MiB): an agent splits larger ones. */
export const MAX_CLIENT_CHUNK = 1024 * 1024;

/** The client's bytes `chunk` framed for the session host, split to MAX_CLIENT_CHUNK. */
export function frameClientBytes(chunk: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < chunk.length; at += MAX_CLIENT_CHUNK) {
    out.push(encodeLengthPrefixed(chunk.subarray(at, at + MAX_CLIENT_CHUNK)));
  }
  return out;
}

/** The client's FIN, framed. */
export const CLIENT_FIN = encodeLengthPrefixed(Buffer.alloc(0));

export class AgentDataStream extends Duplex {
  private finReceived = false;

  /** @param rest bytes that arrived behind the connection's first message */
  constructor(
    private readonly socket: Socket,
    rest: Buffer,
  ) {
    super({ allowHalfOpen: true });
    const decoder = new LengthPrefixedDecoder(MAX_CLIENT_CHUNK);
    const onData = (chunk: Buffer) => {
      if (this.finReceived) return; // nothing may follow the FIN; ignore it rather than guess
      let frames: Buffer[];
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        this.destroy(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      for (const frame of frames) {
        if (frame.length === 0) {
          this.finReceived = true;
          this.push(null);
          return;
        }
        if (!this.push(frame)) socket.pause();
      }
    };
    socket.on('data', onData);
    const lost = () => {
      if (!this.finReceived) this.destroy(new ClawError('STREAM_RESET', 'the agent went away'));
    };
    socket.on('end', lost);
    socket.on('close', lost);
    socket.on('error', (err) => this.destroy(err));
    if (rest.length > 0) onData(rest);
    socket.resume();
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (err?: Error | null) => void): void {
    if (this.socket.write(chunk)) callback();
    else this.socket.once('drain', () => callback());
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.socket.end();
    callback();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.socket.destroy();
    callback(err);
  }
}
