/**
 * When a SocketLink's frames reach its socket (transport/socket-link.ts): a small frame on an idle
 * link is written at once, so the peer has a keystroke before the rest of this tick runs; the frames
 * after it in the same tick, and any large frame, leave together at the tick's end in one write.
 */
import { EventEmitter } from 'node:events';
import type { TLSSocket } from 'node:tls';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IMMEDIATE_FRAME_BYTES, SocketLink } from '../../../src-main/transport/socket-link.js';

/** A socket that records each write's bytes; `queued` stands for bytes it has not written yet. */
function fakeSocket(queued = 0) {
  const writes: Buffer[] = [];
  const socket = Object.assign(new EventEmitter(), {
    writableLength: queued,
    write: (bytes: Uint8Array, done?: () => void) => {
      writes.push(Buffer.from(bytes));
      done?.();
      return true;
    },
  });
  return { socket: socket as unknown as TLSSocket, writes };
}

const tickEnd = () => new Promise<void>((resolve) => process.nextTick(resolve));
const frame = (n: number, fill = 1) => new Uint8Array(n).fill(fill);

test('a small frame on an idle link is written before send returns; the rest of the tick goes in one write after it', async () => {
  const { socket, writes } = fakeSocket();
  const link = new SocketLink(socket, 'peer', 'remote', true);
  link.send(frame(6, 1));
  assert.equal(writes.length, 1, 'written at once');
  assert.equal(writes[0]!.length, 4 + 6);
  link.send(frame(6, 2));
  link.send(frame(6, 3));
  assert.equal(writes.length, 1, 'the next frames wait for the end of the tick');
  await tickEnd();
  assert.equal(writes.length, 2);
  assert.equal(writes[1]!.length, 2 * (4 + 6), 'both in one write, in order');
  assert.deepEqual([writes[1]![4], writes[1]![14]], [2, 3]);
  // A new tick on an idle link: at once again.
  link.send(frame(6, 4));
  assert.equal(writes.length, 3);
});

test('a large frame, or a link whose socket still holds bytes, waits for the end of the tick', async () => {
  const big = fakeSocket();
  new SocketLink(big.socket, 'peer', 'remote', true).send(frame(IMMEDIATE_FRAME_BYTES + 1));
  assert.equal(big.writes.length, 0);
  await tickEnd();
  assert.equal(big.writes.length, 1);

  const busy = fakeSocket(100);
  new SocketLink(busy.socket, 'peer', 'remote', true).send(frame(6));
  assert.equal(busy.writes.length, 0, 'behind queued bytes nothing is gained by writing early');
  await tickEnd();
  assert.equal(busy.writes.length, 1);
});
