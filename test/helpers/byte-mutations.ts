/**
 * Mutations of a genuine wire message for decoder properties: flip a bit pattern, truncate, append,
 * or overwrite a run of bytes. A mutation may leave the message unchanged (a splice of the bytes
 * already there); properties that need a change check for it.
 */
import fc from 'fast-check';

export type Mutation =
  | { kind: 'flip'; index: number; xor: number }
  | { kind: 'truncate'; length: number }
  | { kind: 'append'; extra: Uint8Array }
  | { kind: 'splice'; index: number; bytes: Uint8Array };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), index: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), length: fc.nat() }),
  fc.record({ kind: fc.constant('append' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  fc.record({
    kind: fc.constant('splice' as const),
    index: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
);

/** `bytes` (non-empty) with `m` applied, as a new array. */
export function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  // A copy: a Buffer's slice() is a view, which would change the caller's bytes too.
  const out = Uint8Array.from(bytes);
  switch (m.kind) {
    case 'flip':
      out[m.index % out.length]! ^= m.xor;
      return out;
    case 'truncate':
      return out.subarray(0, m.length % out.length);
    case 'append':
      return new Uint8Array([...out, ...m.extra]);
    case 'splice': {
      const at = m.index % out.length;
      out.set(m.bytes.subarray(0, out.length - at), at);
      return out;
    }
  }
}
