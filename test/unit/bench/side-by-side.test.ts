import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { test } from 'node:test';
import type { NamedPath } from '../../../bench/side-by-side.js';

// Small downloads: the test checks the order and the rows, not a machine's speed. Set before the
// bench modules read it, hence the dynamic imports.
process.env.CLAWBRIDGE_BENCH_LONG_MIB = '8';
const { serveBenchStream } = await import('../../../bench/serve.js');
const { measureSideBySide } = await import('../../../bench/side-by-side.js');
const { tcpStream } = await import('../../../bench/streams.js');
const { LONG_TURNS, SHORT_COUNT } = await import('../../../bench/transfers.js');

test(
  'paths measured side by side: long downloads alternate, short rows follow, a failing path gets an empty row and a note, all are closed',
  { timeout: 60_000 },
  async () => {
    const sockets: Socket[] = [];
    const server = createServer((s) => {
      sockets.push(s);
      serveBenchStream(s);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const order: string[] = [];
    const closed: string[] = [];
    /** A loopback path that records, per download, which path asked (a download begins with the 9-byte header). */
    const path = (name: string, short = false): NamedPath => ({
      name,
      short,
      setupMs: 1,
      open: async () => {
        const s = await tcpStream(port);
        const write = s.write.bind(s);
        s.write = (chunk: Buffer, ...rest: []) => {
          if (chunk.length === 9) order.push(name);
          return write(chunk, ...rest);
        };
        return s;
      },
      close: () => void closed.push(name),
    });
    const broken: NamedPath = {
      name: 'broken',
      setupMs: 1,
      open: () => Promise.reject(new Error('no route')),
      close: () => void closed.push('broken'),
    };
    try {
      const { results, notes } = await measureSideBySide(
        [path('a', true), broken, path('b')],
        () => undefined,
      );
      assert.deepEqual(
        results.map((r) => r.name),
        ['a', 'a-short', 'broken', 'b'],
      );
      for (const r of [results[0]!, results[3]!]) {
        assert.ok(r.MBps !== null && r.MBps > 0, `${r.name} has a throughput`);
        assert.ok(
          r.p50Ms !== null && r.p99Ms !== null && r.p50Ms <= r.p99Ms,
          'r.p50Ms !== null && r.p99Ms !== null && r.p50Ms <= r.p99Ms',
        );
        assert.equal(r.setupMs, 1);
      }
      const short = results[1]!;
      assert.ok(short.MBps !== null && short.MBps > 0, 'a-short has a throughput');
      assert.ok(
        short.p50Ms !== null && short.p99Ms !== null && short.p50Ms <= short.p99Ms,
        'short.p50Ms !== null && short.p99Ms !== null && short.p50Ms <= short.p99Ms',
      );
      assert.deepEqual(results[2], { name: 'broken', MBps: null, p50Ms: null, p99Ms: null, setupMs: null });
      assert.deepEqual(notes, ['broken not available: round trips failed: no route']);
      assert.deepEqual(closed.sort(), ['a', 'b', 'broken']);
      // Warm-ups first (a, b), then the long downloads strictly taking turns: a, b, a, b; then a's
      // short downloads, each on a new connection.
      assert.deepEqual(order.slice(0, 2), ['a', 'b']);
      const long = order.slice(2, 2 + 2 * LONG_TURNS);
      long.forEach((name, i) => assert.equal(name, i % 2 === 0 ? 'a' : 'b', `long download ${i}`));
      assert.deepEqual(order.slice(2 + 2 * LONG_TURNS), Array<string>(SHORT_COUNT).fill('a'));
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  },
);
