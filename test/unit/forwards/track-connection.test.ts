/**
 * Forward connections in the connection table (forwards/track-connection.ts, track-peer.ts): listed
 * while they carry bytes, with the exit peer by name and fingerprint, the client's address, the
 * target and both byte counts (the forward's own counters still count); `close` cuts that connection
 * only, and one that ends leaves the list.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import type { ReadonlyPeerEntry } from '../../../src-main/links/ports.js';
import { ConnectionTable } from '../../../src-main/connections/connection-table.js';
import { handleTcpForwardConnection } from '../../../src-main/forwards/tcp-forward.js';
import { trackerFor } from '../../../src-main/forwards/track-peer.js';
import { echoServer, frontEnd, memoryExit, RawClient } from './fixtures.js';
import { until } from '../../helpers/wait.js';
import { failTest } from '../../helpers/unawaited.js';

const echo = await echoServer();
const exit = memoryExit();
const servers: Server[] = [];
after(() => {
  echo.server.close();
  exit.close();
  for (const s of servers) s.close();
});

const B = 'b'.repeat(64);
// Only what trackerFor reads of a peer entry.
const links = {
  peerEntries: () => [{ fingerprint: B, record: { name: 'b' } } as unknown as ReadonlyPeerEntry],
};

async function forward(table: ConnectionTable) {
  const fe = frontEnd(exit.dialer, 'web');
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    handleTcpForwardConnection(socket, {
      ...fe.ctx,
      track: trackerFor(table, links),
      via: 'b',
      host: '127.0.0.1',
      port: echo.port,
    }).catch(failTest('handleTcpForwardConnection'));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, counts: fe.counts };
}

test('forward connections are listed with peer, ends and bytes; close cuts one only', async () => {
  const table = new ConnectionTable();
  const { port, counts } = await forward(table);
  const one = await RawClient.open(port);
  const two = await RawClient.open(port);
  one.write('hello');
  assert.equal((await one.read(5)).toString(), 'hello');
  two.write('hi');
  assert.equal((await two.read(2)).toString(), 'hi');
  await until('both listed', () => table.size === 2);
  const listed = table.list();
  for (const c of listed) {
    assert.equal(c.kind, 'forward');
    assert.deepEqual(c.peer, { name: 'b', fingerprint: B });
    assert.equal(c.to, `127.0.0.1:${echo.port}`);
    assert.match(c.from, /^127\.0\.0\.1:\d+$/);
  }
  const first = listed.find((c) => c.from === `127.0.0.1:${one.socket.localPort}`)!;
  assert.equal(first.bytesOut, 5);
  assert.equal(first.bytesIn, 5);
  assert.equal(counts.bytesOut, 7, "the forward's own counters still count");

  table.close(first.id, 'closed by the owner of this node');
  await one.closedByServer();
  two.write('still');
  assert.equal((await two.read(5)).toString(), 'still');
  assert.equal(table.size, 1);
  two.end();
  await until('the ended one leaves the list', () => table.size === 0);
});
