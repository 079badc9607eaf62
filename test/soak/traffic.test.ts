/**
 * The soak's judge (soak/traffic.ts): a stream whose echo changes a byte is `corrupt` even inside a
 * disruption window, one that ends short is `cut` inside a window and `lost` outside, and a faithful
 * echo is `completed` with every byte counted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { newTally, runStream, startEcho, type Explained } from '../../soak/traffic.js';

const BYTES = 48 * 1024;
const always: Explained = () => 'a test disruption';
const never: Explained = () => undefined;

/** A server that does `onConnection` to each connection; resolves with its port. */
function serve(onConnection: (c: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer((c) => {
    c.on('error', () => c.destroy());
    onConnection(c);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      resolve({ server, port: typeof addr === 'object' && addr ? addr.port : 0 });
    }),
  );
}

test('a faithful echo completes with every byte checked', async () => {
  const { server, port } = await startEcho('127.0.0.1');
  const tally = newTally();
  assert.equal(await runStream(port, never, tally, 1, BYTES), 'completed');
  assert.equal(tally.bytesChecked, BYTES);
  server.close();
});

test('a changed byte is corrupt, even inside a disruption window', async () => {
  const { server, port } = await serve((c) =>
    c.on('data', (d: Buffer) => {
      const copy = Buffer.from(d);
      copy[copy.length - 1] = copy[copy.length - 1]! ^ 1;
      c.write(copy);
    }),
  );
  const tally = newTally();
  assert.equal(await runStream(port, always, tally, 1, BYTES), 'corrupt');
  assert.equal(tally.corrupt, 1);
  assert.match(tally.problems[0]!, /bytes differ/);
  server.close();
});

test('extra bytes are corrupt', async () => {
  const { server, port } = await serve((c) => c.on('data', (d: Buffer) => c.write(Buffer.concat([d, d]))));
  const tally = newTally();
  assert.equal(await runStream(port, always, tally, 1, BYTES), 'corrupt');
  server.close();
});

test('an echo that repeats earlier bytes in place of later ones is corrupt: no two writes are alike', async () => {
  // Every read after the first is answered with the first's bytes, as a mixed-up buffer would be.
  const { server, port } = await serve((c) => {
    let first: Buffer | undefined;
    c.on('data', (d: Buffer) => {
      first ??= Buffer.from(d);
      c.write(d.length <= first.length ? first.subarray(0, d.length) : d);
    });
  });
  const tally = newTally();
  assert.equal(await runStream(port, always, tally, 1, BYTES), 'corrupt');
  assert.match(tally.problems[0]!, /bytes differ/);
  server.close();
});

test('a stream that ends short is cut inside a disruption window and lost outside', async () => {
  // Echoes the first chunk, then closes: as a killed peer does.
  const { server, port } = await serve((c) => c.once('data', (d: Buffer) => c.end(d)));
  const inside = newTally();
  assert.equal(await runStream(port, always, inside, 1, BYTES), 'cut');
  assert.equal(inside.cutUnstarted, 0);
  const outside = newTally();
  assert.equal(await runStream(port, never, outside, 2, BYTES), 'lost');
  assert.match(outside.problems[0]!, /lost at 16384\//);
  server.close();
});
