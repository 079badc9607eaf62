/**
 * What a transfer's tree hash is taken over (docs/protocol.md "files service"): the entries sorted by
 * the bytes of their paths, one line each — `F <sha256> <x|-> <path>`, `D <path>`,
 * `L <path> -> <target>` — joined by `\n`. The receiver sends the hash in COMPLETE and the sender
 * compares it with its own, so both must build the same bytes: the agent hashes them with node:crypto
 * (files/tree-walk.ts), the browser node with WebCrypto. Pure: Uint8Array only.
 */
import type { OfferEntry } from './file-frames-wire.js';

const utf8 = new TextEncoder();

/** A name's bytes in base64 (`raw`, `rawTarget`) as bytes. */
function base64Bytes(b64: string): Uint8Array {
  const text = atob(b64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** The bytes of an entry's path: `raw` when the name is no UTF-8, else the path's UTF-8. */
export function entryPathBytes(e: OfferEntry): Uint8Array {
  return e.raw !== undefined ? base64Bytes(e.raw) : utf8.encode(e.path);
}

/** The bytes of a link's target, as entryPathBytes. */
export function entryTargetBytes(e: Extract<OfferEntry, { kind: 'link' }>): Uint8Array {
  return e.rawTarget !== undefined ? base64Bytes(e.rawTarget) : utf8.encode(e.target);
}

/** Byte order, as Buffer.compare. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/**
 * The bytes the tree hash of `entries` is the SHA-256 of; a file offered without its SHA-256 takes it
 * from `digests` (by entry index).
 * @throws Error when a file's SHA-256 is in neither
 */
export function treeHashInput(
  entries: readonly OfferEntry[],
  digests?: ReadonlyMap<number, string>,
): Uint8Array {
  const lines = entries.map((e, i) => {
    const p = entryPathBytes(e);
    if (e.kind === 'file') {
      const sha = e.sha256 ?? digests?.get(i);
      if (!sha) throw new Error(`tree hash: no SHA-256 for ${e.path}`);
      return { p, head: utf8.encode(`F ${sha} ${e.exec ? 'x' : '-'} `), tail: [] as Uint8Array[] };
    }
    if (e.kind === 'dir') return { p, head: utf8.encode('D '), tail: [] as Uint8Array[] };
    return { p, head: utf8.encode('L '), tail: [utf8.encode(' -> '), entryTargetBytes(e)] };
  });
  lines.sort((a, b) => compareBytes(a.p, b.p));
  const parts: Uint8Array[] = [];
  lines.forEach((x, k) => {
    if (k > 0) parts.push(utf8.encode('\n'));
    parts.push(x.head, x.p, ...x.tail);
  });
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
