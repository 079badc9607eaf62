/**
 * A file received over a link this side dialed: the dialer's TLS socket reads into reused slabs
 * (transport/receive-slabs.ts, ADR 0039), and the files receiver releases a DATA frame's bytes once its
 * write settled (files/receive-writes.ts), its framing as it reads it (files/file-channel.ts). So a
 * download reads into the same few slabs throughout instead of a fresh 256 KiB every 256 KiB (a code's
 * `file receive` is such a dialer: it spent ~2× a paired agent's CPU per byte faulting in new memory),
 * and the file still arrives exactly, hashed and verified, although slabs are read into again while
 * earlier bytes are still on their way to the disk.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileChannel } from '../../src-main/files/file-channel.js';
import { FileReceiver } from '../../src-main/files/file-receiver.js';
import { FileStore } from '../../src-main/files/file-store.js';
import { Mux } from '../../src-main/mux/mux.js';
import {
  FILES_OPEN_ARGS,
  FILES_SERVICE,
  MAX_DATA_BYTES,
  type FileFrame,
} from '../../src-main/protocol/file-frames.js';
import { dialDirect } from '../../src-main/transport/direct.js';
import { RECEIVE_SLAB_BYTES, receiveSlabsMade } from '../../src-main/transport/receive-slabs.js';
import { directListener } from '../helpers/direct-listener.js';
import { until } from '../helpers/wait.js';

const sha = (x: Buffer) => createHash('sha256').update(x).digest('hex');
const ID = '0123456789abcdef0123456789abcdef';

test(
  'a file received over a dialed link is byte-exact and its slabs are read into again',
  { timeout: 120_000 },
  async () => {
    const home = mkdtempSync(join(tmpdir(), 'cb-slab-files-'));
    const store = new FileStore(home, { diskReserveBytes: 0 });
    await store.open();
    const receiver = new FileReceiver(store);
    const { a, b, listener, accepted, address } = await directListener();
    // The receiver dials (its socket reads into slabs); the sender is the accepted end.
    const link = await dialDirect({ identity: a, address, expectedPeer: b.fingerprint });
    await until('the listener to have the link', () => accepted.length === 1);
    const peer = { fingerprint: b.fingerprint, name: 'sender' };
    const ma = new Mux(link, {
      onStream: (req) => receiver.serve(req.accept(), peer),
    });
    const mb = new Mux(accepted[0]!);
    const stream = await mb.open(FILES_SERVICE, FILES_OPEN_ARGS);
    const got: FileFrame[] = [];
    const channel = new FileChannel(stream, (f) => {
      if (f.type !== 'data-parts') got.push(f);
    });
    const body = randomBytes(64 * 1024 * 1024 + 7);
    try {
      channel.send({
        type: 'offer',
        id: ID,
        entries: [{ path: 'big.bin', kind: 'file', size: body.length, exec: false, sha256: sha(body) }],
        more: false,
      });
      await until('the receiver wants the file', () => got.some((f) => f.type === 'want'));
      const madeBefore = receiveSlabsMade();
      for (let at = 0; at < body.length; at += MAX_DATA_BYTES) {
        const bytes = body.subarray(at, Math.min(body.length, at + MAX_DATA_BYTES));
        if (!channel.send({ type: 'data', index: 0, offset: at, bytes })) await channel.drained();
      }
      await until(
        'the receiver says the transfer is complete',
        () => got.some((f) => f.type === 'complete'),
        {
          timeoutMs: 90_000,
        },
      );
      const failed = got.find((f) => f.type === 'failed' || f.type === 'refuse');
      assert.equal(failed, undefined, `the transfer went through: ${JSON.stringify(failed)}`);
      const complete = got.find((f) => f.type === 'complete');
      const rid = complete?.type === 'complete' ? complete.received : '';
      const arrived = readFileSync(join(store.inbox, rid, 'tree', 'big.bin'));
      assert.equal(arrived.length, body.length, 'every byte arrived');
      assert.equal(sha(arrived), sha(body), 'the bytes are the ones sent');
      // Without reuse the download fills a new slab every 256 KiB (all 257 made, seen before the
      // release); with it, slabs come back as writes settle. How many is up to the scheduler: the
      // stream's window and the writes ahead keep up to ~16 MiB in flight at once, and slabs given
      // back beyond the pool's keep go to the GC (89–137 made, measured here).
      const made = receiveSlabsMade() - madeBefore;
      const filled = Math.ceil(body.length / RECEIVE_SLAB_BYTES);
      assert.ok(
        made < filled * 0.75,
        `slabs were read into again: ${made} made for the ${filled} the file filled`,
      );
    } finally {
      ma.close();
      mb.close();
      await listener.close();
      rmSync(home, { recursive: true, force: true });
    }
  },
);
