/**
 * Files frames over a byte stream (a mux stream in the agent, an in-memory pair in tests): length-
 * prefixed frames in, handled one at a time (a handler may wait for the disk: the stream is paused
 * meanwhile, so the mux's credit holds the sender back), frames out with the stream's backpressure,
 * and one `closed` for both ends.
 */
import type { Duplex } from 'node:stream';
import { ClawError } from '../core/errors.js';
import { LengthPrefixedDecoder, encodeLengthPrefixed } from '../protocol/length-prefixed.js';
import { releaseReceived } from '../transport/receive-slabs.js';
import {
  DATA_HEADER_BYTES,
  decodeDataPieces,
  decodeFileFrame,
  encodeFileFrame,
  FILES_PROTOCOL_VERSION,
  MAX_FILE_FRAME_BYTES,
  type FileFrame,
  type FilesVersion,
} from '../protocol/file-frames.js';

/**
 * A DATA frame as the channel hands it on when it arrived in several chunks: its bytes as views of
 * them (`parts`), not joined into a new buffer (a copy and an allocation per 256 KiB frame).
 */
export interface DataParts {
  type: 'data-parts';
  index: number;
  offset: number;
  parts: Uint8Array[];
  length: number;
}

/** What a channel hands its handler. */
export type ChannelFrame = FileFrame | DataParts;

export class FileChannel {
  /**
   * The frames' length headers are released as they are read (transport/receive-slabs.ts), and so is
   * each DATA frame's own header once decoded: a DATA frame's file bytes are released by whoever
   * writes them (receive-writes.ts), so a download read into reused slabs reads into the same few
   * slabs throughout. Bytes of any other frame are never released: their slab is left to the GC.
   */
  private readonly decoder = new LengthPrefixedDecoder(MAX_FILE_FRAME_BYTES, releaseReceived);
  private ended = false;
  private readonly done: Promise<Error | undefined>;
  private finish!: (err: Error | undefined) => void;
  /** Frames handled so far: the next chunk waits for it. */
  private chain: Promise<void> = Promise.resolve();
  /** `drained()` calls waiting for the stream's 'drain' (or the channel's end, which lets them all go). */
  private readonly draining = new Set<() => void>();

  constructor(
    private readonly stream: Duplex,
    onFrame: (frame: ChannelFrame) => void | Promise<void>,
    onClose: (err: Error | undefined) => void = () => undefined,
    /** The version frames are written in (the one the stream was opened with). */
    private readonly version: FilesVersion = FILES_PROTOCOL_VERSION,
  ) {
    this.done = new Promise((resolve) => {
      this.finish = (err) => {
        if (this.ended) return;
        this.ended = true;
        stream.off('data', onData);
        for (const done of [...this.draining]) done();
        resolve(err);
        onClose(err);
      };
    });
    const handle = async (frames: Buffer[][]) => {
      for (const pieces of frames) {
        if (this.ended) return;
        const parts = pieces.length > 1 ? decodeDataPieces(pieces) : undefined;
        if (parts) {
          releaseReceived(pieces[0]!, DATA_HEADER_BYTES);
          await onFrame({ type: 'data-parts', ...parts });
          continue;
        }
        const frame = decodeFileFrame(pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces));
        if (frame.type === 'data' && pieces.length === 1) releaseReceived(pieces[0]!, DATA_HEADER_BYTES);
        await onFrame(frame);
      }
    };
    const fail = (err: unknown) => this.close(err instanceof Error ? err : new Error(String(err)));
    // A chunk comes only while no frame is being handled (the stream is paused meanwhile), so it is
    // taken at once; only a chunk that completes frames pauses the stream until they were handled. A
    // 256 KiB DATA frame arrives in ~17 chunks (a TLS record each): pausing and resuming the stream for
    // each one cost the receiver a promise chain and a turn of the stream's machinery per 16 KiB.
    const onData = (chunk: Buffer) => {
      if (this.ended) return;
      let frames: Buffer[][];
      try {
        frames = this.decoder.pushPieces(chunk);
      } catch (err) {
        fail(err);
        return;
      }
      if (frames.length === 0) return;
      stream.pause();
      this.chain = this.chain
        .then(() => (this.ended ? undefined : handle(frames)))
        .then(() => {
          if (!this.ended) stream.resume();
        }, fail);
    };
    stream.on('data', onData);
    const ended = (why: string) => () => {
      // Frames still being handled come first: the end is heard after them.
      const close = () => this.close(new ClawError('LINK_CLOSED', why));
      this.chain.then(close, close);
    };
    stream.once('end', ended('the files stream ended'));
    stream.once('close', ended('the files stream closed'));
    stream.on('error', (err: Error) => this.close(err));
  }

  /** Settles with why the channel ended (undefined after a local `close()` without an error). */
  get closed(): Promise<Error | undefined> {
    return this.done;
  }

  /** Resolves once the frames handed to the handler so far were handled (or failed). */
  idle(): Promise<void> {
    return this.chain.catch(() => undefined);
  }

  get isOpen(): boolean {
    return !this.ended;
  }

  /** Writes one frame; false when the writer should wait for `drained`. */
  send(frame: FileFrame): boolean {
    if (this.ended) return false;
    return this.stream.write(encodeLengthPrefixed(encodeFileFrame(frame, this.version)));
  }

  /**
   * Writes a frame already encoded with its length prefix (dataFrameBuffer); false as `send`.
   * `written` runs once the stream took it (without an error: `wire` may be reused then).
   */
  sendWire(wire: Buffer, written?: () => void): boolean {
    if (this.ended) return false;
    return this.stream.write(wire, written ? (err) => void (err ? undefined : written()) : undefined);
  }

  /** Resolves when the stream takes writes again (or the channel ended). */
  drained(): Promise<void> {
    if (this.ended || !this.stream.writableNeedDrain) return Promise.resolve();
    // Not a reaction on `this.done` per wait: those stayed until the channel ended, one for every
    // frame a long transfer waited after (4,096 a GiB).
    return new Promise((resolve) => {
      const done = () => {
        this.stream.off('drain', done);
        this.draining.delete(done);
        resolve();
      };
      this.stream.once('drain', done);
      this.draining.add(done);
    });
  }

  /** Ends the channel: with an error the stream is reset (the peer sees why), without one it is ended. */
  close(err?: Error): void {
    if (this.ended) return;
    this.finish(err);
    if (err) this.stream.destroy(err);
    else this.stream.end();
  }
}
