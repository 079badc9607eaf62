/**
 * Shared fixtures for mux tests: a connected pair of Muxes over an in-memory link pair, a raw peer that
 * speaks frames by hand (for protocol-violation tests), and bounded waiting helpers.
 */
import type { Duplex } from 'node:stream';
import { decodeFrame, encodeFrame, type MuxFrame } from '../../../src-main/protocol/mux-frames.js';
import { Mux, type MuxOptions, type MuxStream, type StreamRequest } from '../../../src-main/mux/mux.js';
import { createLinkPair, type LinkPairOptions, type MemoryLink } from '../../helpers/link-pair.js';

export interface MuxPair {
  a: MemoryLink;
  b: MemoryLink;
  /** Mux on the initiator side (opens odd IDs). */
  ma: Mux;
  /** Mux on the responder side; accepts every stream unless `onStream` is given. */
  mb: Mux;
  /** Streams `mb` accepted, in order. */
  accepted: MuxStream[];
  close(): void;
}

/** Two muxes over a link pair. By default `mb` accepts everything and `ma` accepts nothing. */
export function muxPair(opts: { link?: LinkPairOptions; a?: MuxOptions; b?: MuxOptions } = {}): MuxPair {
  const { a, b } = createLinkPair(opts.link);
  const accepted: MuxStream[] = [];
  const ma = new Mux(a, opts.a);
  const mb = new Mux(b, {
    onStream: (req: StreamRequest) => accepted.push(req.accept()),
    ...opts.b,
  });
  return { a, b, ma, mb, accepted, close: () => (ma.close('test over'), mb.close('test over')) };
}

/** Resolves with everything the stream yields until 'end'; rejects on 'error' or after `timeoutMs`. */
export function readAll(stream: Duplex, timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => reject(new Error(`readAll: no end within ${timeoutMs} ms`)), timeoutMs);
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.once('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    stream.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** Resolves with the stream's error; rejects if it ends or closes without one, or after `timeoutMs`. */
export function errorOf(stream: Duplex, timeoutMs = 5000): Promise<Error> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`errorOf: no error within ${timeoutMs} ms`)), timeoutMs);
    stream.once('error', (err) => {
      clearTimeout(timer);
      resolve(err);
    });
    stream.once('close', () =>
      setImmediate(() => {
        clearTimeout(timer);
        reject(new Error('stream closed without an error'));
      }),
    );
  });
}

/** Resolves with the mux's 'close' argument (wrapped so "no error" is distinguishable from a timeout). */
export function closeOf(mux: Mux, timeoutMs = 5000): Promise<{ error: Error | undefined }> {
  return new Promise((resolve, reject) => {
    if (mux.closed) reject(new Error('closeOf: mux already closed'));
    const timer = setTimeout(() => reject(new Error(`closeOf: no close within ${timeoutMs} ms`)), timeoutMs);
    mux.on('close', (error) => {
      clearTimeout(timer);
      resolve({ error });
    });
  });
}

/** Lets queued link deliveries and their consequences settle (a few macrotask turns). */
export async function settle(turns = 10): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
}

/** A peer without a Mux: records decoded frames it receives and sends hand-made ones. */
export class RawPeer {
  readonly frames: MuxFrame[] = [];
  constructor(readonly link: MemoryLink) {
    link.onFrame((bytes) => this.frames.push(decodeFrame(bytes)));
  }
  send(frame: MuxFrame): void {
    this.link.send(encodeFrame(frame));
  }
  sendBytes(bytes: Uint8Array): void {
    this.link.send(bytes);
  }
  ofType<T extends MuxFrame['type']>(type: T): Extract<MuxFrame, { type: T }>[] {
    return this.frames.filter((f): f is Extract<MuxFrame, { type: T }> => f.type === type);
  }
}
