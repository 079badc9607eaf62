/**
 * Two in-memory byte streams joined back to back, as ws's test/duplex-pair.js: what one side writes
 * the other reads, in order, on a later turn of the event loop (as a mux stream delivers), and a
 * write's callback waits until the reader took the bytes when its buffer is full (backpressure).
 * `cut` ends both sides with an error, as a link that dies does.
 */
import { Duplex } from 'node:stream';

export interface DuplexPair {
  a: Duplex;
  b: Duplex;
  /** Both ends fail with `err` (a dead link). */
  cut(err?: Error): void;
}

export function duplexPair(highWaterMark = 64 * 1024): DuplexPair {
  const waiting = new Map<Duplex, () => void>();
  const make = (other: () => Duplex): Duplex =>
    new Duplex({
      highWaterMark,
      read() {
        const resume = waiting.get(this);
        waiting.delete(this);
        resume?.();
      },
      write(chunk: Buffer, _enc, cb) {
        setImmediate(() => {
          const peer = other();
          if (peer.destroyed) return cb(new Error('the other end is gone'));
          if (peer.push(Buffer.from(chunk))) cb();
          else waiting.set(peer, () => cb());
        });
      },
      final(cb) {
        setImmediate(() => {
          other().push(null);
          cb();
        });
      },
    });
  const a: Duplex = make(() => b);
  const b: Duplex = make(() => a);
  return {
    a,
    b,
    cut(err = new Error('link cut')) {
      a.destroy(err);
      b.destroy(err);
    },
  };
}
