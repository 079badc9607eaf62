/**
 * The soak's traffic: an echo server on b's side of the link, a pool of concurrent streams through a
 * forward on a that each send random bytes and check every echoed byte against what they sent, and
 * the outcome of each stream, judged precisely:
 * - `corrupt`: an echoed byte differs from the byte sent at that offset, or more bytes came back than
 *   were sent. Never explained by a cut: a cut may lose the tail of a stream, never change a byte.
 * - `cut`: the stream ended (error, close or stall) before all its bytes came back, at a time inside a
 *   disruption window (an intentional cut, from its start to its end plus a grace period).
 * - `lost`: the same outside every disruption window. Fails the soak, like `corrupt`.
 */
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';

/** Bytes per write of a stream. */
const CHUNK = 16 * 1024;
/** Pause between two writes of one stream, in ms: 100 streams × 16 KiB / 250 ms ≈ 6.5 MB/s each way. */
const WRITE_EVERY_MS = 250;
/** A stream with bytes outstanding and none echoed for this long has stalled, in ms. */
export const STALL_MS = 60_000;
/** Bytes one stream sends: between these (then it ends and a new one takes its place). */
const MIN_BYTES = 256 * 1024;
const MAX_BYTES = 2 * 1024 * 1024;
/**
 * Random bytes every stream's writes are cut from, each at a random offset: a fresh randomBytes(16
 * KiB) a write (6.5 MB/s of new Buffers) was most of the driver's CPU, its allocation and the
 * collections it caused. Two writes at different offsets of random bytes differ, so an echo that
 * reorders, repeats or mixes up writes still differs from what was sent; nothing writes the pool.
 */
const RANDOM_POOL_BYTES = 8 * 1024 * 1024;
const randomPool = randomBytes(RANDOM_POOL_BYTES);
const randomChunk = (n: number): Buffer => {
  const at = Math.floor(Math.random() * (RANDOM_POOL_BYTES - n + 1));
  return randomPool.subarray(at, at + n);
};

export type Outcome = 'completed' | 'corrupt' | 'cut' | 'lost';

export interface Tally {
  completed: number;
  corrupt: number;
  cut: number;
  lost: number;
  /** Of `cut`: streams that ended before a single byte came back (opened while the peer was away). */
  cutUnstarted: number;
  /** Bytes that came back and matched, over all streams. */
  bytesChecked: number;
  /** The first few `corrupt`/`lost` stories, for the failure message. */
  problems: string[];
}

export function newTally(): Tally {
  return { completed: 0, corrupt: 0, cut: 0, lost: 0, cutUnstarted: 0, bytesChecked: 0, problems: [] };
}

/** Echoes every byte back on the same connection. */
export function startEcho(host: string): Promise<{ server: Server; port: number }> {
  const server = createServer((c) => {
    c.on('error', () => c.destroy());
    c.pipe(c);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      const addr = server.address();
      resolve({ server, port: typeof addr === 'object' && addr ? addr.port : 0 });
    });
  });
}

/**
 * Names the disruption whose window overlaps [from, to] (performance.now() times), if any: a stream
 * that made no progress from `from` until it ended at `to` was cut if one happened meanwhile.
 */
export type Explained = (from: number, to: number) => string | undefined;

/**
 * One stream: connects to `port`, sends `total` random bytes (default: random between the bounds
 * above), checks each echoed byte, then ends.
 * Resolves with its outcome; never rejects.
 */
export function runStream(
  port: number,
  explained: Explained,
  tally: Tally,
  id: number,
  total = MIN_BYTES + Math.floor(Math.random() * (MAX_BYTES - MIN_BYTES)),
): Promise<Outcome> {
  // Sent but not yet echoed, oldest first; `head` is how far into pending[0] the echo has come.
  const pending: Buffer[] = [];
  let head = 0;
  let sent = 0;
  let echoed = 0;
  let lastProgress = performance.now();
  return new Promise<Outcome>((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let done = false;
    const finish = (outcome: Outcome, why: string) => {
      if (done) return;
      done = true;
      clearInterval(writer);
      socket.destroy();
      tally[outcome]++;
      if ((outcome === 'corrupt' || outcome === 'lost') && tally.problems.length < 10)
        tally.problems.push(`stream ${id}: ${outcome} at ${echoed}/${total} bytes (${why})`);
      resolve(outcome);
    };
    const ended = (why: string) => {
      if (echoed === total) return finish('completed', why);
      const cause = explained(lastProgress, performance.now());
      if (cause && echoed === 0) tally.cutUnstarted++;
      if (cause) finish('cut', `${why} during ${cause}`);
      else finish('lost', why);
    };
    const writer = setInterval(() => {
      if (performance.now() - lastProgress > STALL_MS) return ended(`stalled ${STALL_MS} ms`);
      if (sent >= total || socket.writableNeedDrain || socket.connecting) return;
      const chunk = randomChunk(Math.min(CHUNK, total - sent));
      pending.push(chunk);
      sent += chunk.length;
      socket.write(chunk);
    }, WRITE_EVERY_MS);
    socket.on('data', (data: Buffer) => {
      let off = 0;
      while (off < data.length) {
        const want = pending[0];
        if (!want) return finish('corrupt', `${data.length - off} bytes more than were sent`);
        const n = Math.min(want.length - head, data.length - off);
        if (!data.subarray(off, off + n).equals(want.subarray(head, head + n)))
          return finish('corrupt', `bytes differ in ${echoed}..${echoed + n}`);
        off += n;
        head += n;
        echoed += n;
        tally.bytesChecked += n;
        if (head === want.length) {
          pending.shift();
          head = 0;
        }
      }
      lastProgress = performance.now();
      if (echoed === total) socket.end();
    });
    socket.on('error', (err) => ended(err.message));
    socket.on('close', () => ended('closed'));
  });
}

/**
 * Keeps `count` streams running until `until` (performance.now()): each that ends is replaced.
 * Resolves once the last has ended after `until`.
 */
export async function streamPool(
  count: number,
  port: number,
  until: number,
  explained: Explained,
  tally: Tally,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (performance.now() < until) {
      const outcome = await runStream(port, explained, tally, next++);
      // A refused connection (the forward is still starting) ends at once: do not spin on it.
      if (outcome !== 'completed') await new Promise((r) => setTimeout(r, 1000));
    }
  };
  await Promise.all(Array.from({ length: count }, lane));
}

/** Writes `data` to 127.0.0.1:`port` and resolves once it came back byte-exact (or rejects). */
export function echoOnce(port: number, data: Buffer, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const got: Buffer[] = [];
    let n = 0;
    const timer = setTimeout(
      () => fail(new Error(`no full echo in ${timeoutMs} ms (${n} bytes)`)),
      timeoutMs,
    );
    const fail = (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error(`closed after ${n} of ${data.length} bytes`)));
    socket.on('data', (d: Buffer) => {
      got.push(d);
      n += d.length;
      if (n < data.length) return;
      clearTimeout(timer);
      socket.removeAllListeners('close');
      socket.destroy();
      if (Buffer.concat(got).equals(data)) resolve();
      else reject(new Error('echo differs from what was sent'));
    });
    socket.write(data);
  });
}
