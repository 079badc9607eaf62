import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  COPY_BELOW_BYTES,
  idleReceiveSlabs,
  isReceivedIntoSlab,
  readIntoSlabs,
  releaseReceived,
  SMALL_READS_BEFORE_IDLE,
  TLS_RECORD_BYTES,
  type SlabReader,
} from '../../../src-main/transport/receive-slabs.js';

/** The buffer Node holds for each reader: asked for once at the start and again after every read. */
const current = new WeakMap<SlabReader, Uint8Array>();

/**
 * Does what Node's TLS socket does with `onread` for one decrypted record: copies it into the buffer it
 * holds, calls back, asks for the next buffer, and goes on with the rest if the buffer was smaller.
 */
function read(reader: SlabReader, bytes: Buffer): void {
  let at = 0;
  while (at < bytes.length) {
    const region = current.get(reader) ?? reader.onread.buffer();
    const n = Math.min(region.length, bytes.length - at);
    bytes.copy(region, 0, at, at + n);
    reader.onread.callback(n, region);
    current.set(reader, reader.onread.buffer());
    at += n;
  }
}

/** A reader that has seen bulk (a first record), with what it hands on from now on. */
function bulkReader(): { reader: SlabReader; got: Buffer[] } {
  const reader = readIntoSlabs();
  const got = collect(reader);
  read(reader, Buffer.alloc(TLS_RECORD_BYTES, 0xee));
  for (const p of got.splice(0)) releaseReceived(p);
  return { reader, got };
}

function collect(reader: SlabReader): Buffer[] {
  const got: Buffer[] = [];
  reader.setSink((piece) => got.push(piece));
  return got;
}

test('full records are views of one slab; once every byte is released the slab is read into again', () => {
  const { reader, got } = bulkReader();
  const records = Array.from({ length: 3 }, (_, i) => Buffer.alloc(TLS_RECORD_BYTES, i + 1));
  for (const r of records) read(reader, r);
  assert.deepEqual(got, records);
  assert.ok(
    got.every((p) => isReceivedIntoSlab(p)),
    'got.every((p) => isReceivedIntoSlab(p))',
  );
  assert.equal(got[0]!.buffer, got[2]!.buffer, 'one slab holds all three');
  // Fill the slab (the first record took 12 KiB of it), so the reader moves on to the next one.
  while (got.length < 16) read(reader, Buffer.alloc(TLS_RECORD_BYTES, got.length + 1));
  assert.equal(got[14]!.buffer, got[0]!.buffer);
  assert.notEqual(got[15]!.buffer, got[0]!.buffer);
  const before = idleReceiveSlabs();
  for (const p of got.slice(0, 14)) releaseReceived(p);
  assert.equal(idleReceiveSlabs(), before, 'a byte still held keeps the slab');
  // Released in two parts, as a header and a payload are.
  releaseReceived(got[14]!, 6);
  releaseReceived(got[14]!.subarray(6));
  assert.equal(idleReceiveSlabs(), before + 1);
  const next = bulkReader();
  read(next.reader, Buffer.alloc(TLS_RECORD_BYTES, 9));
  assert.equal(next.got[0]!.buffer, got[0]!.buffer, 'the pooled slab is reused');
  next.reader.close();
  reader.close();
});

test('a few small reads in a row and the reader lets go of its slab: an idle link holds none', () => {
  const { reader, got } = bulkReader();
  read(reader, Buffer.alloc(TLS_RECORD_BYTES, 1));
  const slab = got[0]!.buffer;
  releaseReceived(got[0]!);
  const before = idleReceiveSlabs();
  // One small read (the tail of a large write) keeps the slab; several in a row give it back.
  read(reader, Buffer.from('ack'));
  assert.equal(idleReceiveSlabs(), before);
  for (let i = 1; i < SMALL_READS_BEFORE_IDLE; i++) read(reader, Buffer.from('key'));
  assert.equal(idleReceiveSlabs(), before + 1);
  assert.ok(
    got.slice(1).every((p) => !isReceivedIntoSlab(p)),
    'got.slice(1).every((p) => !isReceivedIntoSlab(p))',
  );
  assert.equal(got.at(-1)!.toString(), 'key');
  // Bulk again: the first 4 KiB of the record are a copy, the rest lands in a slab from the pool.
  read(reader, Buffer.alloc(TLS_RECORD_BYTES, 7));
  const [copy, view] = got.slice(-2);
  assert.equal(isReceivedIntoSlab(copy!), false);
  assert.equal(view!.buffer, slab);
  assert.ok(
    Buffer.concat([copy!, view!]).equals(Buffer.alloc(TLS_RECORD_BYTES, 7)),
    'Buffer.concat([copy!, view!]).equals(Buffer.alloc(TLS_RECORD_BYTES, 7))',
  );
  reader.close();
});

test('the slab a closed reader was reading into never goes back to the pool: its socket may still write there', () => {
  const { reader, got } = bulkReader();
  read(reader, Buffer.alloc(TLS_RECORD_BYTES, 1));
  const region = current.get(reader)!;
  const before = idleReceiveSlabs();
  reader.close();
  releaseReceived(got[0]!);
  assert.equal(idleReceiveSlabs(), before);
  assert.equal(region.buffer, got[0]!.buffer);
  // A record the socket still decrypts there is handed on as a copy.
  region.fill(5, 0, TLS_RECORD_BYTES);
  reader.onread.callback(TLS_RECORD_BYTES, region);
  assert.equal(isReceivedIntoSlab(got[1]!), false);
  assert.ok(
    got[1]!.equals(Buffer.alloc(TLS_RECORD_BYTES, 5)),
    'got[1]!.equals(Buffer.alloc(TLS_RECORD_BYTES, 5))',
  );
});

test('small reads are copies and pin no slab', () => {
  const reader = readIntoSlabs();
  const got = collect(reader);
  read(reader, Buffer.from('k'));
  read(reader, Buffer.alloc(COPY_BELOW_BYTES - 1, 2));
  assert.ok(
    got.every((p) => !isReceivedIntoSlab(p)),
    'got.every((p) => !isReceivedIntoSlab(p))',
  );
  assert.equal(got[0]!.toString(), 'k');
  assert.ok(
    got[1]!.equals(Buffer.alloc(COPY_BELOW_BYTES - 1, 2)),
    'got[1]!.equals(Buffer.alloc(COPY_BELOW_BYTES - 1, 2))',
  );
  reader.close();
});

test('pieces read before a sink is set reach it in order, before later ones; none while it is unset', () => {
  const reader = readIntoSlabs();
  read(reader, Buffer.from('one'));
  read(reader, Buffer.from('two'));
  const got: string[] = [];
  reader.setSink((p) => {
    got.push(p.toString());
    if (p.toString() === 'one') reader.setSink(undefined);
  });
  assert.deepEqual(got, ['one']);
  read(reader, Buffer.from('three'));
  reader.setSink((p) => got.push(p.toString()));
  read(reader, Buffer.from('four'));
  assert.deepEqual(got, ['one', 'two', 'three', 'four']);
});

test('property: no byte a holder has not released is ever overwritten by a later read', () => {
  // Reads outnumber releases, so slabs fill up while some of their pieces are still held.
  const step = fc.oneof(
    {
      arbitrary: fc.record({
        read: fc.oneof(
          { arbitrary: fc.constant(TLS_RECORD_BYTES), weight: 3 },
          { arbitrary: fc.integer({ min: 1, max: TLS_RECORD_BYTES }), weight: 1 },
        ),
      }),
      weight: 3,
    },
    // Release a held piece, whole or as two parts (the way a header and a payload are released).
    {
      arbitrary: fc.record({ release: fc.nat(), split: fc.option(fc.nat(), { nil: undefined }) }),
      weight: 1,
    },
  );
  fc.assert(
    fc.property(fc.array(step, { minLength: 40, maxLength: 300, size: 'max' }), (steps) => {
      const reader = readIntoSlabs();
      const held: { piece: Buffer; copy: Buffer }[] = [];
      let fill = 0;
      reader.setSink((piece) => held.push({ piece, copy: Buffer.from(piece) }));
      for (const s of steps) {
        if ('read' in s) {
          fill = (fill + 1) % 256;
          read(reader, Buffer.alloc(s.read, fill));
        } else if (held.length > 0) {
          const piece = held.splice(s.release % held.length, 1)[0]!.piece;
          if (s.split === undefined || piece.length < 2) releaseReceived(piece);
          else {
            const cut = 1 + (s.split % (piece.length - 1));
            releaseReceived(piece, cut);
            releaseReceived(piece.subarray(cut));
          }
        }
        for (const h of held) assert.ok(h.piece.equals(h.copy), 'a held piece was overwritten');
      }
      reader.close();
      for (const h of held) releaseReceived(h.piece);
    }),
    { numRuns: 200 },
  );
});
