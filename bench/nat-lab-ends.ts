/**
 * The two ends of the NAT-lab bench's downloads (bench/nat-lab.ts), each started inside a lab host's
 * namespace (`ip netns exec NS node --import tsx bench/nat-lab-ends.ts …`):
 *
 * - `serve PORT BYTES`: listens on 0.0.0.0:PORT and sends BYTES to every connection, then ends it
 *   (prints `listening` once it listens);
 * - `fetch HOST PORT BYTES`: connects, reads to the end and prints `{"bytes":…,"ms":…}` (ms from the
 *   connect call to the last byte), exiting 1 when fewer than BYTES arrived or MAX_MS passed.
 *
 * One 1 MiB buffer is written over and over with backpressure, so neither end holds more than that.
 */
import { connect, createServer, type Socket } from 'node:net';

const CHUNK = Buffer.alloc(1024 * 1024, 0x5a);
/** Longest one download may take, in ms: a stuck path fails the turn instead of hanging the bench. */
const MAX_MS = 300_000;

function sendBytes(socket: Socket, bytes: number): void {
  let left = bytes;
  const pump = () => {
    while (left > 0) {
      const n = Math.min(left, CHUNK.length);
      left -= n;
      if (!socket.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) {
        socket.once('drain', pump);
        return;
      }
    }
    socket.end();
  };
  pump();
}

const [op, ...args] = process.argv.slice(2);
if (op === 'serve') {
  const [port, bytes] = args.map(Number) as [number, number];
  const server = createServer((socket) => {
    socket.on('error', () => socket.destroy());
    sendBytes(socket, bytes);
  });
  server.listen(port, '0.0.0.0', () => process.stdout.write('listening\n'));
} else if (op === 'fetch') {
  const host = args[0]!;
  const [port, bytes] = args.slice(1).map(Number) as [number, number];
  const t0 = performance.now();
  let got = 0;
  const socket = connect({ host, port });
  const timer = setTimeout(() => {
    process.stderr.write(`fetch: ${got} of ${bytes} bytes after ${MAX_MS} ms\n`);
    process.exit(1);
  }, MAX_MS);
  socket.on('data', (c: Buffer) => (got += c.length));
  socket.on('error', (err) => {
    process.stderr.write(`fetch: ${err.message}\n`);
    process.exit(1);
  });
  socket.on('end', () => {
    clearTimeout(timer);
    const ms = performance.now() - t0;
    process.stdout.write(`${JSON.stringify({ bytes: got, ms })}\n`);
    process.exit(got === bytes ? 0 : 1);
  });
} else {
  process.stderr.write('usage: nat-lab-ends.ts serve PORT BYTES | fetch HOST PORT BYTES\n');
  process.exit(2);
}
