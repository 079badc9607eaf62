/**
 * Generates node identities for bench/identities.ts in a separate process, so two of them use both
 * cores. `generate` {count} answers the identities as PEM.
 */
import { generateIdentity } from '../src-main/crypto/identity.js';
import { serveParent } from './child.js';
import type { BenchIdentity } from './relay-node.js';

/** Identities generated concurrently (webcrypto key generation and signing run on libuv's pool). */
const CONCURRENCY = 16;

serveParent(async (req) => {
  if (req.op !== 'generate') throw new Error(`unknown op ${req.op}`);
  const count = Number(req.count);
  const out: BenchIdentity[] = [];
  while (out.length < count) {
    const n = Math.min(CONCURRENCY, count - out.length);
    const batch = await Promise.all(
      Array.from({ length: n }, (_, i) => generateIdentity(`bench node ${out.length + i}`)),
    );
    out.push(...batch.map((id) => ({ certPem: id.certPem, keyPem: id.keyPem })));
  }
  return out;
});
