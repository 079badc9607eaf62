/**
 * Many node identities for the relay memory measurement: the relay keeps one connection per node ID (a
 * second connection for the same ID replaces the first), so N connections need N certificates.
 * generateIdentity takes ~4 ms each, so 5k take ~20 s on one core: they are made by two child processes
 * (bench/identity-child.ts) in parallel and cached in the OS temp dir, so a second run reuses them.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChild } from './child.js';
import type { BenchIdentity } from './relay-node.js';

/** The cache file (bump the version when the identity format changes). */
export const IDENTITY_CACHE = join(tmpdir(), 'clawbridge-bench-identities-v1.json');
/** Identities asked of a generator child in one request. */
const GENERATE_CHUNK = 500;
/** Child processes generating identities at once (the machine has 2 cores). */
const GENERATORS = 2;

/** What a bench connection needs to authenticate: the certificate's DER and the private key. */
export interface NodeCredential {
  certDer: Uint8Array;
  key: KeyObject;
}

export interface IdentityBatch {
  credentials: NodeCredential[];
  /** How the identities were obtained, for the notes. */
  how: string;
}

function readCache(): BenchIdentity[] {
  if (!existsSync(IDENTITY_CACHE)) return [];
  try {
    const parsed = JSON.parse(readFileSync(IDENTITY_CACHE, 'utf8')) as unknown;
    return Array.isArray(parsed) ? (parsed as BenchIdentity[]) : [];
  } catch {
    return []; // a damaged cache is regenerated
  }
}

/** Returns `count` distinct identities, generating (and caching) the ones the cache lacks. */
export async function nodeIdentities(count: number): Promise<IdentityBatch> {
  const cached = readCache();
  let how = `${count} identities from the cache ${IDENTITY_CACHE}`;
  const all = cached.slice(0, count);
  if (all.length < count) {
    const missing = count - all.length;
    const t0 = performance.now();
    const children = Array.from({ length: GENERATORS }, () => startChild('./identity-child.ts'));
    try {
      const share = Math.ceil(missing / GENERATORS);
      // In requests of GENERATE_CHUNK, each well within a child request's timeout on a busy machine.
      const generate = async (c: (typeof children)[number], count: number) => {
        const out: BenchIdentity[] = [];
        while (out.length < count) {
          const n = Math.min(GENERATE_CHUNK, count - out.length);
          out.push(...(await c.request<BenchIdentity[]>('generate', { count: n })));
        }
        return out;
      };
      const parts = await Promise.all(
        children.map((c, i) => generate(c, Math.max(0, Math.min(share, missing - i * share)))),
      );
      all.push(...parts.flat());
    } finally {
      await Promise.all(children.map((c) => c.stop()));
    }
    const s = (performance.now() - t0) / 1000;
    how = `generated ${missing} identities in ${s.toFixed(1)} s (${((s * 1000) / missing).toFixed(1)} ms each on ${GENERATORS} processes), cached in ${IDENTITY_CACHE}`;
    const tmp = `${IDENTITY_CACHE}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(all), { mode: 0o600 });
    renameSync(tmp, IDENTITY_CACHE);
  }
  const credentials = all.map((id) => ({
    certDer: new Uint8Array(new X509Certificate(id.certPem).raw),
    key: createPrivateKey(id.keyPem),
  }));
  return { credentials, how };
}
