/**
 * The `files` protocol as the agent speaks it (docs/protocol.md "files service", ADR 0051): every
 * frame, limit and reader of file-frames-wire.ts (pure, shared with the browser node), and the
 * writers that work in Buffers — DATA frames read from disk straight into their frame, the whole
 * frame for the agent's channel, names as bytes, an offer split into frames.
 */
import { ClawError } from '../core/errors.js';
import {
  DATA_HEADER_BYTES,
  DATA_WIRE_HEADER_BYTES,
  encodeFileControlFrame,
  FileFrameType,
  FILES_PROTOCOL_VERSION,
  MAX_DATA_BYTES,
  MAX_ENTRIES,
  MAX_TRANSFER_BYTES,
  OFFER_PART_BYTES,
  spokenFilesVersion as spoken,
  type FileFrame,
  type FilesVersion,
  type OfferEntry,
} from './file-frames-wire.js';

export * from './file-frames-wire.js';

/**
 * A whole DATA frame as it goes on the wire (length prefix included) for `length` bytes of file
 * `index` at `offset`, its file bytes left for the caller to read into `body` (a view of `wire`): a
 * sender reads from disk straight into the frame, with no copy.
 */
export function dataFrameBuffer(
  index: number,
  offset: number,
  length: number,
): { wire: Buffer; body: Buffer } {
  return dataFrameInto(Buffer.allocUnsafe(DATA_WIRE_HEADER_BYTES + length), index, offset, length);
}

/** dataFrameBuffer in `into` (at least DATA_WIRE_HEADER_BYTES + length bytes, e.g. one reused). */
export function dataFrameInto(
  into: Buffer,
  index: number,
  offset: number,
  length: number,
  version: FilesVersion = FILES_PROTOCOL_VERSION,
): { wire: Buffer; body: Buffer } {
  if (length > MAX_DATA_BYTES) {
    throw new ClawError('BAD_FRAME', `DATA of ${length} bytes exceeds ${MAX_DATA_BYTES}`);
  }
  const wire = into.subarray(0, DATA_WIRE_HEADER_BYTES + length);
  wire.writeUInt32BE(DATA_HEADER_BYTES + length, 0);
  wire[4] = version;
  wire[5] = FileFrameType.DATA;
  wire.writeUInt32BE(index, 6);
  wire.writeBigUInt64BE(BigInt(offset), 10);
  return { wire, body: wire.subarray(DATA_WIRE_HEADER_BYTES) };
}

/** One frame's payload (without the length prefix). A DATA frame copies its bytes once. */
export function encodeFileFrame(frame: FileFrame, version: FilesVersion = FILES_PROTOCOL_VERSION): Buffer {
  if (frame.type === 'data') {
    if (frame.bytes.length > MAX_DATA_BYTES) {
      throw new ClawError('BAD_FRAME', `DATA of ${frame.bytes.length} bytes exceeds ${MAX_DATA_BYTES}`);
    }
    const out = Buffer.allocUnsafe(DATA_HEADER_BYTES + frame.bytes.length);
    out[0] = version;
    out[1] = FileFrameType.DATA;
    out.writeUInt32BE(frame.index, 2);
    out.writeBigUInt64BE(BigInt(frame.offset), 6);
    out.set(frame.bytes, DATA_HEADER_BYTES);
    return out;
  }
  const out = encodeFileControlFrame(frame, version);
  return Buffer.from(out.buffer, out.byteOffset, out.length);
}

/**
 * A DATA frame that arrived in pieces (views of the chunks it came in, as LengthPrefixedDecoder's
 * pushPieces gives them): its index and offset, and its file bytes as views of those pieces, not
 * copied. Undefined when the pieces are no DATA frame or its header is split (decode them joined).
 * @throws ClawError('BAD_FRAME') as decodeFileFrame does for a bad DATA frame
 */
export function decodeDataPieces(
  pieces: readonly Buffer[],
): { index: number; offset: number; parts: Buffer[]; length: number } | undefined {
  const head = pieces[0];
  if (!head || head.length < DATA_HEADER_BYTES || head[1] !== FileFrameType.DATA) return undefined;
  if (!spoken(head[0])) return undefined;
  const parts = [head.subarray(DATA_HEADER_BYTES), ...pieces.slice(1)].filter((p) => p.length > 0);
  const length = parts.reduce((n, p) => n + p.length, 0);
  if (length > MAX_DATA_BYTES)
    throw new ClawError('BAD_FRAME', `DATA of ${length} bytes exceeds ${MAX_DATA_BYTES}`);
  const index = head.readUInt32BE(2);
  const offset = head.readBigUInt64BE(6);
  if (index >= MAX_ENTRIES)
    throw new ClawError('BAD_FRAME', `DATA for entry ${index}, past the most a transfer has`);
  if (offset > BigInt(MAX_TRANSFER_BYTES))
    throw new ClawError('BAD_FRAME', 'DATA offset past the largest transfer');
  return { index, offset: Number(offset), parts, length };
}

/** Why `args` are not a `files` stream's OPEN arguments (exactly `{"v":N}`, N spoken), or undefined. */
export function pathBytes(e: OfferEntry): Buffer {
  return e.raw !== undefined ? Buffer.from(e.raw, 'base64') : Buffer.from(e.path, 'utf8');
}

/** The bytes of a link's target, as pathBytes. */
export function targetBytes(e: Extract<OfferEntry, { kind: 'link' }>): Buffer {
  return e.rawTarget !== undefined ? Buffer.from(e.rawTarget, 'base64') : Buffer.from(e.target, 'utf8');
}

/** `bytes` as an entry's name: the string, plus the bytes in base64 when they are no UTF-8. */
export function nameOf(bytes: Buffer): { text: string; raw?: string } {
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? { text } : { text, raw: bytes.toString('base64') };
}

/**
 * The entries split into OFFER frames of at most OFFER_PART_BYTES of JSON each (at least one entry per
 * frame; an empty transfer is one frame), `more` set on all but the last.
 */
export function offerFrames(
  id: string,
  entries: readonly OfferEntry[],
): Array<Extract<FileFrame, { type: 'offer' }>> {
  const frames: Array<Extract<FileFrame, { type: 'offer' }>> = [];
  let part: OfferEntry[] = [];
  let size = 0;
  for (const e of entries) {
    const n = Buffer.byteLength(JSON.stringify(e), 'utf8') + 1;
    if (part.length > 0 && size + n > OFFER_PART_BYTES) {
      frames.push({ type: 'offer', id, entries: part, more: true });
      part = [];
      size = 0;
    }
    part.push(e);
    size += n;
  }
  frames.push({ type: 'offer', id, entries: part, more: false });
  return frames;
}
