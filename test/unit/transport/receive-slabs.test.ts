import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  COPY_BELOW_BYTES,
  idleReceiveSlabs,
  isReceivedIntoSlab,
  readIntoSlabs,
  releaseReceived,
  TLS_RECORD_BYTES,
  type SlabReader,
} from '../../../src-main/transport/receive-slabs.js';

/** Does what Node's TLS socket does with `onread`: asks for a region, decrypts into it, calls back. */
function read(reader: SlabReader, bytes: Buffer): void {
  const region = reader.onread.buffer();
  assert.ok(
    region.length >= bytes.length,
    `a region of ${region.length} bytes for a ${bytes.length}-byte read`,
  );
  region.set(bytes);
  reader.onread.callback(bytes.length, region);
}

function collect(reader: SlabReader): Buffer[] {
  const got: Buffer[] = [];
  reader.setSink((piece) => got.push(piece));
  return got;
}

test('full records are views of one slab; once every byte is released the slab is read into again', () => {
  const reader = readIntoSlabs();
  const got = collect(reader);
  const records = Array.from({ length: 3 }, (_, i) => Buffer.alloc(TLS_RECORD_BYTES, i + 1));
  for (const r of records) read(reader, r);
  assert.deepEqual(got, records);
  assert.ok(got.every((p) => isReceivedIntoSlab(p)));
  assert.equal(got[0]!.buffer, got[2]!.buffer, 'one slab holds all three');
  // Fill the slab, so the reader moves on to the next one.
  while (got.length < 16) read(reader, Buffer.alloc(TLS_RECORD_BYTES, got.length + 1));
  read(reader, Buffer.alloc(TLS_RECORD_BYTES, 99));
  assert.notEqual(got[16]!.buffer, got[0]!.buffer);
  const before = idleReceiveSlabs();
  for (const p of got.slice(0, 15)) releaseReceived(p);
  assert.equal(idleReceiveSlabs(), before, 'a byte still held keeps the slab');
  // Released in two parts, as a header and a payload are.
  releaseReceived(got[15]!, 6);
  releaseReceived(got[15]!.subarray(6));
  assert.equal(idleReceiveSlabs(), before + 1);
  const next = readIntoSlabs();
  const again = collect(next);
  read(next, Buffer.alloc(TLS_RECORD_BYTES, 9));
  assert.equal(again[0]!.buffer, got[0]!.buffer, 'the pooled slab is reused');
  next.close();
  reader.close();
});

test('the slab a closed reader was reading into never goes back to the pool: its socket may still write there', () => {
  const reader = readIntoSlabs();
  const got = collect(reader);
  read(reader, Buffer.alloc(TLS_RECORD_BYTES, 1));
  const region = reader.onread.buffer();
  const before = idleReceiveSlabs();
  reader.close();
  releaseReceived(got[0]!);
  assert.equal(idleReceiveSlabs(), before);
  assert.equal(region.buffer, got[0]!.buffer);
});

test('small reads are copies and pin no slab; reads after close are copies too', () => {
  const reader = readIntoSlabs();
  const got = collect(reader);
  read(reader, Buffer.from('k'));
  read(reader, Buffer.alloc(COPY_BELOW_BYTES - 1, 2));
  assert.ok(got.every((p) => !isReceivedIntoSlab(p)));
  assert.equal(got[0]!.toString(), 'k');
  const region = reader.onread.buffer();
  reader.close();
  region.fill(5, 0, TLS_RECORD_BYTES);
  reader.onread.callback(TLS_RECORD_BYTES, region);
  assert.equal(isReceivedIntoSlab(got[2]!), false);
  assert.ok(got[2]!.equals(Buffer.alloc(TLS_RECORD_BYTES, 5)));
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
