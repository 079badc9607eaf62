/**
 * A download through a forward whose link this side dialed: the dialer's TLS socket reads into reused
 * slabs (transport/receive-slabs.ts, ADR 0039), the splice releases what the local socket wrote, and the
 * bytes still arrive exactly — while the sender reuses its buffers and the client reads slowly, so slabs
 * come back to the pool and are read into again with earlier bytes still on their way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { Mux, type MuxStream } from '../../src-main/mux/mux.js';
import { dialDirect } from '../../src-main/transport/direct.js';
import { RECEIVE_SLAB_BYTES, receiveSlabsMade } from '../../src-main/transport/receive-slabs.js';
import { splice } from '../../src-main/forwards/splice.js';
import { directListener } from '../helpers/direct-listener.js';
import { sendReusingOneBuffer } from '../helpers/stream-bytes.js';
import { until } from '../helpers/wait.js';

const sha = (x: Buffer) => createHash('sha256').update(x).digest('hex');

/** Reads `client` to its end, pausing now and then so the splice's writes queue up. */
function readSlowly(client: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  client.on('data', (c: Buffer) => {
    chunks.push(c);
    if (++n % 32 === 0) {
      client.pause();
      setTimeout(() => client.resume(), 100);
    }
  });
  return new Promise((resolve, reject) => {
    client.once('end', () => resolve(Buffer.concat(chunks)));
    client.once('error', reject);
  });
}

test(
  'a download through a splice over a dialed link is byte-exact and its slabs are reused',
  { timeout: 60_000 },
  async () => {
    const { a, b, listener, accepted, address } = await directListener();
    const link = await dialDirect({
      identity: a,
      address,
      expectedPeer: b.fingerprint,
    });
    await until('the listener to have the link', () => accepted.length === 1);
    let far!: MuxStream;
    const ma = new Mux(link);
    const mb = new Mux(accepted[0]!, { onStream: (req) => (far = req.accept()) });
    const near = await ma.open('download', {});

    // The forward's local side: a TCP client reads what the splice writes into the accepted socket.
    const local = createServer({ allowHalfOpen: true });
    local.listen(0, '127.0.0.1');
    await once(local, 'listening');
    const port = (local.address() as { port: number }).port;
    const client = connect(port, '127.0.0.1');
    const [served] = (await once(local, 'connection')) as [Socket];
    const spliced = splice(served, near);
    client.end(); // nothing to upload

    const body = randomBytes(24 * 1024 * 1024 + 7);
    const madeBefore = receiveSlabsMade();
    const got = readSlowly(client);
    await sendReusingOneBuffer(far, body, 64 * 1024);
    const received = await got;
    assert.equal(received.length, body.length);
    assert.equal(sha(received), sha(body));
    // Read without reuse, the download would have filled a new slab every 256 KiB. How many are free
    // at the end is up to the scheduler (the reader may hold the one it reuses); that fewer were made
    // than filled is not: the stream's window keeps fewer than that many in flight.
    const made = receiveSlabsMade() - madeBefore;
    const filled = Math.ceil(body.length / RECEIVE_SLAB_BYTES);
    assert.ok(
      made < filled,
      `slabs were read into again: ${made} made for the ${filled} the download filled`,
    );
    await spliced;
    ma.close();
    mb.close();
    local.close();
    await listener.close();
  },
);
