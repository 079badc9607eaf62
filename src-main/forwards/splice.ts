/**
 * Joins a local TCP connection and a tcp-connect mux stream: bytes both ways with backpressure (pipe),
 * half-close honoured (one side's FIN ends only the other side's writing), and an abrupt end or error on
 * either side tears down both, so a reset travels on as a reset (RST frame or TCP reset).
 */
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { isReceivedIntoSlab, releaseReceived } from '../transport/receive-slabs.js';

/**
 * Write buffer of the local TCP sockets of forwards and exits, in bytes (256 KiB: four mux DATA frames).
 * A frame from a direct link arrives as the 16 KiB pieces the TLS socket decrypted; with the default
 * 16 KiB mark `pipe` would pause after each piece and every piece would cost its own write(2).
 */
export const LOCAL_SOCKET_HIGH_WATER_BYTES = 256 * 1024;

/** Byte counts reported as they flow, for per-forward counters. */
export interface SpliceCounters {
  /** Bytes that came from the remote side and went to the local client. */
  bytesIn(n: number): void;
  /** Bytes from the local client towards the remote side. */
  bytesOut(n: number): void;
}

/**
 * Copies `local` ⇄ `remote` until both are closed. Never rejects: how the connection ended is not the
 * caller's problem once the bytes stopped.
 */
export function splice(local: Duplex, remote: Duplex, counters?: SpliceCounters): Promise<void> {
  // One side may have gone while the other was being set up (a client that hung up during the dial).
  if (local.destroyed || remote.destroyed) {
    local.destroy();
    remote.destroy();
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    let closed = 0;
    const onClose = () => {
      if (++closed === 2) resolve();
    };
    const tearDown = (from: Duplex, to: Duplex) => (err?: Error) => {
      if (to.destroyed) return;
      const abrupt = err ?? (from.readableEnded ? undefined : new Error('the other side closed abruptly'));
      // A TCP socket is reset (RST), not closed with a FIN that would pass for a clean end: a
      // close-delimited download cut short must not look complete. A mux stream sends RST by itself.
      if (abrupt && to instanceof Socket) to.resetAndDestroy();
      else to.destroy(abrupt);
    };
    for (const [a, b] of [
      [local, remote],
      [remote, local],
    ] as const) {
      a.on('error', tearDown(a, b));
      a.on('close', () => {
        // A side that closed before its readable ended was cut off: do not let the other wait forever.
        if (!a.readableEnded || !a.writableFinished) tearDown(a, b)();
        onClose();
      });
    }
    if (counters) {
      local.on('data', (c: Buffer) => counters.bytesOut(c.length));
      remote.on('data', (c: Buffer) => counters.bytesIn(c.length));
    }
    // Registered before pipe's own listener: what one tick delivers leaves in one writev, not a write each.
    remote.on('data', corkUntilNextTick(local));
    local.pipe(remote);
    pipeReleasing(remote, local);
  });
}

/**
 * `from.pipe(to)`, but a chunk read into a reused slab (transport/receive-slabs.ts: what a dialed link
 * decrypted) is released once `to` has written it, so its slab is read into again while it is still in
 * the CPU's cache. A write that fails releases nothing: the slab is then left to the GC.
 */
function pipeReleasing(from: Duplex, to: Duplex): void {
  from.on('data', (chunk: Buffer) => {
    const written = isReceivedIntoSlab(chunk)
      ? to.write(chunk, (err?: Error | null) => {
          if (!err) releaseReceived(chunk);
        })
      : to.write(chunk);
    if (!written) from.pause();
  });
  to.on('drain', () => from.resume());
  from.once('end', () => to.end());
  // As pipe() does: a source paused before (a stream held until its dial was answered) flows now.
  if (to.writableNeedDrain) from.pause();
  else from.resume();
}

/** A 'data' listener that corks `dest` on a tick's first chunk and uncorks it when the tick is over. */
function corkUntilNextTick(dest: Duplex): () => void {
  let corked = false;
  const uncork = () => {
    corked = false;
    dest.uncork();
  };
  return () => {
    if (corked || dest.destroyed) return;
    corked = true;
    dest.cork();
    process.nextTick(uncork);
  };
}
