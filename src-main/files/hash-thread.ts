/**
 * SHA-256 of a big file's bytes on a worker thread (ADR 0071), so the agent's main thread only moves
 * them: the sender hashes each DATA frame as it goes, the receiver each frame as it arrives (ADR 0067),
 * and on a quiet machine those main threads set a big transfer's pace. Bytes are copied (on the main
 * thread, into 1 MiB chunks given back for reuse) and the chunks transferred in order to one worker per
 * process, which feeds them to node:crypto's streaming hash: the digest is the same as hashing inline.
 * The worker is started when first needed and does not keep the process alive.
 */
import { Worker } from 'node:worker_threads';

const CHUNK_BYTES = 1024 * 1024;
/** Chunks kept for reuse once the worker gave them back. */
const FREE_CHUNKS = 8;
/** Bytes handed to the worker and not yet hashed above which callers should wait (hashCaughtUp). */
export const HASH_BACKLOG_LIMIT = 32 * 1024 * 1024;

// Plain CommonJS, run with `eval: true`: nothing to resolve in the bundle.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
parentPort.on('message', (m) => {
  if (m.op === 'update') {
    let h = hashes.get(m.id);
    if (!h) { h = createHash('sha256'); hashes.set(m.id, h); }
    h.update(new Uint8Array(m.data, 0, m.length));
    parentPort.postMessage({ op: 'free', data: m.data, length: m.length }, [m.data]);
  } else if (m.op === 'digest') {
    const h = hashes.get(m.id) || createHash('sha256');
    hashes.delete(m.id);
    parentPort.postMessage({ op: 'digest', id: m.id, hex: h.digest('hex') });
  } else if (m.op === 'drop') {
    hashes.delete(m.id);
  }
});
`;

type Reply = { op: 'free'; data: ArrayBuffer; length: number } | { op: 'digest'; id: number; hex: string };

interface Pending {
  resolve: (hex: string) => void;
  reject: (err: Error) => void;
}

let worker: Worker | null = null;
let nextId = 1;
let backlog = 0;
const free: ArrayBuffer[] = [];
const pending = new Map<number, Pending>();
let waiters: Array<() => void> = [];

function started(): Worker {
  if (worker) return worker;
  const w = new Worker(WORKER_SOURCE, { eval: true, name: 'clawbridge-sha256' });
  w.on('message', (m: Reply) => {
    if (m.op === 'free') {
      backlog -= m.length;
      if (free.length < FREE_CHUNKS && m.data.byteLength === CHUNK_BYTES) free.push(m.data);
      if (backlog < HASH_BACKLOG_LIMIT / 2) wake();
    } else {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (pending.size === 0) w.unref();
      p?.resolve(m.hex);
    }
  });
  const fail = (err: Error): void => {
    if (worker !== w) return;
    worker = null;
    backlog = 0;
    free.length = 0;
    for (const p of pending.values()) p.reject(new Error(`the hashing thread stopped: ${err.message}`));
    pending.clear();
    wake();
  };
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`exit code ${code}`)));
  // After the listeners: adding a 'message' listener refs the worker again.
  w.unref();
  worker = w;
  return w;
}

function wake(): void {
  const ws = waiters;
  waiters = [];
  for (const f of ws) f();
}

/** Bytes handed to the hashing thread and not hashed yet. */
export function hashBacklog(): number {
  return backlog;
}

/** Resolves once the hashing thread has caught up to half of HASH_BACKLOG_LIMIT (at once when it has). */
export function hashCaughtUp(): Promise<void> {
  if (backlog < HASH_BACKLOG_LIMIT / 2) return Promise.resolve();
  return new Promise((resolve) => waiters.push(resolve));
}

/** A streaming SHA-256 computed on the hashing thread. */
export class ThreadHash {
  private readonly id = nextId++;
  private readonly w = started();
  private chunk: ArrayBuffer | null = null;
  private used = 0;
  private failed: Error | null = null;
  private done = false;

  /** Feeds `bytes`; they are copied before this returns, so the caller may reuse the buffer. */
  update(bytes: Uint8Array): this {
    if (this.done) throw new Error('hash already finished');
    let at = 0;
    while (at < bytes.length) {
      if (!this.chunk) {
        this.chunk = free.pop() ?? new ArrayBuffer(CHUNK_BYTES);
        this.used = 0;
      }
      const n = Math.min(bytes.length - at, CHUNK_BYTES - this.used);
      new Uint8Array(this.chunk, this.used, n).set(bytes.subarray(at, at + n));
      this.used += n;
      at += n;
      if (this.used === CHUNK_BYTES) this.flush();
    }
    return this;
  }

  /** The hex digest of every byte fed, once the thread hashed them. */
  digest(): Promise<string> {
    if (this.done) return Promise.reject(new Error('hash already finished'));
    this.flush();
    this.done = true;
    if (this.failed) return Promise.reject(this.failed);
    if (worker !== this.w) return Promise.reject(new Error('the hashing thread stopped'));
    return new Promise((resolve, reject) => {
      // Kept alive while a digest is awaited, not otherwise.
      if (pending.size === 0) this.w.ref();
      pending.set(this.id, { resolve, reject });
      this.w.postMessage({ op: 'digest', id: this.id });
    });
  }

  /** Forgets the bytes fed (a transfer given up halfway). */
  drop(): void {
    if (this.done) return;
    this.done = true;
    this.chunk = null;
    if (worker === this.w) this.w.postMessage({ op: 'drop', id: this.id });
  }

  private flush(): void {
    const chunk = this.chunk;
    if (!chunk || this.used === 0) return;
    this.chunk = null;
    if (worker !== this.w) {
      this.failed ??= new Error('the hashing thread stopped');
      return;
    }
    backlog += this.used;
    this.w.postMessage({ op: 'update', id: this.id, data: chunk, length: this.used }, [chunk]);
  }
}
