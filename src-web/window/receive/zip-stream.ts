/**
 * A folder or several files as one zip, written as the files arrive (ADR 0124 §The page): stored,
 * not compressed (the bytes pass through as they come, and most of what people send is compressed
 * already), each entry's CRC-32 in a data descriptor after its bytes, ZIP64 records only where a
 * size, an offset or the count needs them (APPNOTE 4.3.9, 4.5.3). Folders are entries of their own;
 * links are not kept (a zip's links are not portable). Pure: a ReadableStream in, pulled as read.
 * Each piece is handed on as it is made and never touched again: its reader may transfer its buffer.
 */
import type { OfferEntry } from '../../../src-main/protocol/file-frames-wire.js';
import type { ArrivingFile } from '../../node/file-code-stream.js';

const utf8 = new TextEncoder();
const U32_MAX = 0xffffffff;
/** Flags of every entry: bit 3, sizes and CRC in a descriptor after the bytes; bit 11, UTF-8 names. */
const FLAGS = 0x0808;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (the zip one) of `bytes`, continued from `crc`. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** Little-endian fields, written in order. */
class Fields {
  private readonly parts: Array<[bytes: number, value: number]> = [];
  u16(v: number): this {
    this.parts.push([2, v]);
    return this;
  }
  u32(v: number): this {
    this.parts.push([4, v]);
    return this;
  }
  u64(v: number): this {
    this.parts.push([8, v]);
    return this;
  }
  bytes(tail: Uint8Array = new Uint8Array(0)): Uint8Array {
    const size = this.parts.reduce((n, [b]) => n + b, 0);
    const out = new Uint8Array(size + tail.length);
    const view = new DataView(out.buffer);
    let at = 0;
    for (const [b, v] of this.parts) {
      if (b === 2) view.setUint16(at, v, true);
      else if (b === 4) view.setUint32(at, v, true);
      else view.setBigUint64(at, BigInt(v), true);
      at += b;
    }
    out.set(tail, at);
    return out;
  }
}

/** MS-DOS time and date of `ms` (local time, as zip tools read it); 1980 at the earliest. */
function dosTime(ms: number): { time: number; date: number } {
  const d = new Date(Math.max(ms, new Date(1980, 0, 1).getTime()));
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1),
    date: ((d.getFullYear() - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

interface Written {
  name: Uint8Array;
  dir: boolean;
  exec: boolean;
  crc: number;
  size: number;
  offset: number;
  time: { time: number; date: number };
}

/** The central directory's record of one entry (its ZIP64 extra where a field does not fit). */
function centralRecord(e: Written): Uint8Array {
  const big = e.size >= U32_MAX;
  const far = e.offset >= U32_MAX;
  const extra = new Fields();
  if (big || far) {
    extra.u16(0x0001).u16((big ? 16 : 0) + (far ? 8 : 0));
    if (big) extra.u64(e.size).u64(e.size);
    if (far) extra.u64(e.offset);
  }
  const extraBytes = big || far ? extra.bytes() : new Uint8Array(0);
  const mode = e.dir ? 0o40755 : e.exec ? 0o100755 : 0o100644;
  const head = new Fields()
    .u32(0x02014b50)
    .u16((3 << 8) | 45) // made on Unix, by a ZIP64-aware writer
    .u16(big || far ? 45 : 20)
    .u16(FLAGS)
    .u16(0)
    .u16(e.time.time)
    .u16(e.time.date)
    .u32(e.crc)
    .u32(big ? U32_MAX : e.size)
    .u32(big ? U32_MAX : e.size)
    .u16(e.name.length)
    .u16(extraBytes.length)
    .u16(0)
    .u16(0)
    .u16(0)
    .u32(((mode << 16) | (e.dir ? 0x10 : 0)) >>> 0)
    .u32(far ? U32_MAX : e.offset)
    .bytes(e.name);
  const out = new Uint8Array(head.length + extraBytes.length);
  out.set(head);
  out.set(extraBytes, head.length);
  return out;
}

/** The local header of an entry of `size` bytes (ZIP64 when it may pass 4 GiB). */
function localHeader(name: Uint8Array, size: number, time: { time: number; date: number }): Uint8Array {
  const big = size >= U32_MAX;
  const extra = big ? new Fields().u16(0x0001).u16(16).u64(0).u64(0).bytes() : new Uint8Array(0);
  const head = new Fields()
    .u32(0x04034b50)
    .u16(big ? 45 : 20)
    .u16(FLAGS)
    .u16(0)
    .u16(time.time)
    .u16(time.date)
    .u32(0)
    .u32(big ? U32_MAX : 0)
    .u32(big ? U32_MAX : 0)
    .u16(name.length)
    .u16(extra.length)
    .bytes(name);
  const out = new Uint8Array(head.length + extra.length);
  out.set(head);
  out.set(extra, head.length);
  return out;
}

/** The end of the zip: the central directory, ZIP64's end records where needed, the end record. */
function ending(written: readonly Written[], at: number): Uint8Array[] {
  const central = written.map(centralRecord);
  const size = central.reduce((n, c) => n + c.length, 0);
  const out = [...central];
  const zip64 = written.length >= 0xffff || at >= U32_MAX || size >= U32_MAX;
  if (zip64) {
    const end64At = at + size;
    out.push(
      new Fields()
        .u32(0x06064b50)
        .u64(44)
        .u16((3 << 8) | 45)
        .u16(45)
        .u32(0)
        .u32(0)
        .u64(written.length)
        .u64(written.length)
        .u64(size)
        .u64(at)
        .bytes(),
      new Fields().u32(0x07064b50).u32(0).u64(end64At).u32(1).bytes(),
    );
  }
  out.push(
    new Fields()
      .u32(0x06054b50)
      .u16(0)
      .u16(0)
      .u16(zip64 ? 0xffff : written.length)
      .u16(zip64 ? 0xffff : written.length)
      .u32(zip64 ? U32_MAX : size)
      .u32(zip64 ? U32_MAX : at)
      .u16(0)
      .bytes(),
  );
  return out;
}

/** The zip's bytes, piece by piece: folders first, then each file as it arrives, then the directory. */
async function* zipPieces(
  entries: readonly OfferEntry[],
  files: AsyncIterable<ArrivingFile>,
): AsyncGenerator<Uint8Array> {
  const written: Written[] = [];
  let at = 0;
  const now = Date.now();
  for (const e of entries) {
    if (e.kind !== 'dir') continue;
    const name = utf8.encode(`${e.path}/`);
    const time = dosTime(e.mtime ?? now);
    const header = localHeader(name, 0, time);
    const descriptor = new Fields().u32(0x08074b50).u32(0).u32(0).u32(0).bytes();
    written.push({ name, dir: true, exec: false, crc: 0, size: 0, offset: at, time });
    // Counted before each piece goes: the reader may move its buffer away (stream-download.ts).
    at += header.length + descriptor.length;
    yield header;
    yield descriptor;
  }
  for await (const file of files) {
    const name = utf8.encode(file.entry.path);
    const time = dosTime(file.entry.mtime ?? now);
    const header = localHeader(name, file.entry.size, time);
    const offset = at;
    at += header.length;
    yield header;
    let crc = 0;
    let size = 0;
    const reader = file.stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      crc = crc32(value, crc);
      size += value.length;
      yield value;
    }
    at += size;
    const big = file.entry.size >= U32_MAX;
    const descriptor = big
      ? new Fields().u32(0x08074b50).u32(crc).u64(size).u64(size).bytes()
      : new Fields().u32(0x08074b50).u32(crc).u32(size).u32(size).bytes();
    at += descriptor.length;
    yield descriptor;
    written.push({ name, dir: false, exec: file.entry.exec, crc, size, offset, time });
  }
  yield* ending(written, at);
}

/**
 * `files` (as they arrive) zipped with the folders of `entries`, as a stream read at the reader's
 * pace; a file's stream that errors (its hash did not match) errors the zip's.
 */
export function zipStream(
  entries: readonly OfferEntry[],
  files: AsyncIterable<ArrivingFile>,
): ReadableStream<Uint8Array> {
  const pieces = zipPieces(entries, files);
  return new ReadableStream<Uint8Array>(
    {
      pull: async (controller) => {
        const next = await pieces.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
      cancel: async (reason) => {
        await pieces
          .throw(reason instanceof Error ? reason : new Error(String(reason)))
          .catch(() => undefined);
      },
    },
    { highWaterMark: 0 },
  );
}
