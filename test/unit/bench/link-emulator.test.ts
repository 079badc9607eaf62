/**
 * The link emulator over real loopback sockets (no namespace): the delay, the rate, the bottleneck
 * queue and half-close as a client sees them. Bounds are loose on the slow side (a shared machine can
 * only make things later) and strict on the fast side (the emulator must never deliver early).
 */
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { LinkEmulator } from '../../../bench/link-emulator.js';
import { symmetricLink } from '../../../bench/link-shape.js';
import { sleep } from '../../helpers/wait.js';

const RTT_MS = 40;
/** 8 Mbit/s: 1 MB/s. */
const MBIT = 8;
let server: Server;
let emulator: LinkEmulator;
let port: number;

before(async () => {
  // First byte 'E': echo; 'D': send 1 MB and end.
  server = createServer((s) =>
    // The emulator resets its connections when it closes: that reset is the end, not a failure.
    s
      .on('error', () => undefined)
      .once('data', (first: Buffer) => {
        if (first[0] === 0x44) s.end(Buffer.alloc(1_000_000, 1));
        else {
          s.write(first.subarray(1));
          s.pipe(s);
        }
      }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const target = (server.address() as AddressInfo).port;
  emulator = new LinkEmulator(symmetricLink(MBIT, RTT_MS, 64 * 1024), () => {
    const s = connect({ host: '127.0.0.1', port: target });
    return new Promise((resolve, reject) => s.once('connect', () => resolve(s)).once('error', reject));
  });
  port = await emulator.listen();
});

after(() => {
  emulator.close();
  server.close();
});

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s.setNoDelay(true)));
    s.once('error', reject);
  });
}

test('a round trip takes the set RTT, never less', async () => {
  const s = await open();
  s.write('E');
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const echoed = new Promise((r) => s.once('data', r));
    s.write('x');
    await echoed;
    times.push(performance.now() - t0);
  }
  s.destroy();
  for (const t of times) assert.ok(t >= RTT_MS - 0.5, `round trip ${t} ms < ${RTT_MS} ms`);
  assert.ok(Math.min(...times) < RTT_MS + 40, `round trips ${times.join(', ')} ms`);
});

test('a download moves at the set rate and the end arrives after the bytes', async () => {
  const s = await open();
  const t0 = performance.now();
  let bytes = 0;
  s.on('data', (c: Buffer) => (bytes += c.length));
  s.write('D');
  await new Promise((r) => s.once('end', r));
  const s1 = (performance.now() - t0) / 1000;
  s.destroy();
  assert.equal(bytes, 1_000_000);
  // 1 MB at 1 MB/s plus one RTT; never faster than the rate.
  assert.ok(s1 >= 1.0, `1 MB arrived in ${s1} s, faster than 1 MB/s`);
  assert.ok(s1 < 3, `1 MB took ${s1} s`);
  const stats = emulator.stats();
  assert.ok(stats.lateMs.samples > 0, 'stats.lateMs.samples > 0');
  assert.ok(stats.lateMs.p50 >= 0, 'stats.lateMs.p50 >= 0');
});

test('bytes queued at the bottleneck delay a key on the same path', async () => {
  const bulk = await open();
  bulk.on('data', () => undefined);
  bulk.write('D');
  // Let the download fill the 64 KiB queue (64 ms of the path at 1 MB/s).
  await sleep(200, 'the emulated path fills its queue in emulated time; nothing reports it full');
  const key = await open();
  key.write('E');
  const t0 = performance.now();
  const echoed = new Promise((r) => key.once('data', r));
  key.write('k');
  await echoed;
  const ms = performance.now() - t0;
  key.destroy();
  bulk.destroy();
  // The key's echo waited behind the queued download (up to 64 ms) on its way back.
  assert.ok(ms >= RTT_MS + 30, `the key came back in ${ms} ms, as if no queue stood ahead of it`);
  // …and no longer than the bounded queue allows: unbounded, the whole 1 MB (1 s) would stand ahead.
  assert.ok(ms < RTT_MS + 400, `the key came back in ${ms} ms: the queue is not bounded`);
});
