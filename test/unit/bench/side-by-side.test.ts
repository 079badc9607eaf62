import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { test } from 'node:test';
import { ROUND_BYTES } from '../../../bench/measure.js';
import { serveBenchStream } from '../../../bench/serve.js';
import { measureSideBySide, type NamedPath } from '../../../bench/side-by-side.js';
import { tcpStream } from '../../../bench/streams.js';

test(
  'paths measured side by side: rounds alternate, a failing path gets an empty row and a note, all are closed',
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
    /** A loopback path that records, per bulk round, which path wrote (a round begins with the SINK header). */
    const path = (name: string): NamedPath => ({
      name,
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
      const { results, notes } = await measureSideBySide([path('a'), broken, path('b')], () => undefined);
      assert.deepEqual(
        results.map((r) => r.name),
        ['a', 'broken', 'b'],
      );
      for (const r of [results[0]!, results[2]!]) {
        assert.ok(r.MBps !== null && r.MBps > 0, `${r.name} has a throughput`);
        assert.ok(r.p50Ms !== null && r.p99Ms !== null && r.p50Ms <= r.p99Ms);
      }
      assert.deepEqual(results[1], { name: 'broken', MBps: null, p50Ms: null, p99Ms: null, setupMs: null });
      assert.deepEqual(notes, ['broken not available: round trips failed: no route']);
      assert.deepEqual(closed.sort(), ['a', 'b', 'broken']);
      // Warm-ups first (a, b), then counted rounds strictly taking turns: a, b, a, b, …
      const counted = order.slice(2);
      assert.ok(counted.length >= 4, `several rounds each (${counted.length} of ${ROUND_BYTES} bytes)`);
      counted.forEach((name, i) => assert.equal(name, i % 2 === 0 ? 'a' : 'b', `round ${i}`));
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  },
);
