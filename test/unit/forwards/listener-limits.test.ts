/**
 * Forward and proxy listeners cap their connections (docs/security.md "Listener limits"): in total and
 * per source address, the one over a cap closed at once while those already open keep going.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import {
  listenTcp,
  MAX_FORWARD_CONNECTIONS,
  MAX_FORWARD_CONNECTIONS_PER_SOURCE,
} from '../../../src-main/forwards/listener.js';
import { until } from '../../helpers/wait.js';

/** Connects from `localAddress`; resolves with whether the listener kept the connection for 200 ms. */
function kept(port: number, localAddress: string, open: Socket[]): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port, localAddress });
    s.on('error', () => undefined);
    s.once('close', () => resolve(false));
    s.once('connect', () => {
      open.push(s);
      setTimeout(() => resolve(!s.destroyed), 200);
    });
  });
}

test('a listener holds at most its cap per source and in total; the ones open keep going', async () => {
  assert.ok(
    MAX_FORWARD_CONNECTIONS_PER_SOURCE < MAX_FORWARD_CONNECTIONS,
    'MAX_FORWARD_CONNECTIONS_PER_SOURCE < MAX_FORWARD_CONNECTIONS',
  );
  const served: Socket[] = [];
  const l = await listenTcp('127.0.0.1', 0, (s) => served.push(s), {
    maxConnections: 4,
    maxConnectionsPerSource: 2,
  });
  const port = Number(l.address.split(':').pop());
  const open: Socket[] = [];
  assert.equal(await kept(port, '127.0.0.2', open), true);
  assert.equal(await kept(port, '127.0.0.2', open), true);
  assert.equal(await kept(port, '127.0.0.2', open), false, 'a third from one source is closed');
  assert.equal(await kept(port, '127.0.0.3', open), true);
  assert.equal(await kept(port, '127.0.0.4', open), true);
  assert.equal(await kept(port, '127.0.0.5', open), false, 'a fifth in all is closed');
  assert.equal(served.length, 4, 'the handler never saw the refused ones');
  // A connection that ends gives its slot back (here the handler, which never read it, ends it).
  served[0]!.destroy();
  await until('the slot given back', () => kept(port, '127.0.0.2', open));
  for (const s of open) s.destroy();
  await l.close();
});

test('the default caps apply without options', async () => {
  const l = await listenTcp('127.0.0.1', 0, () => undefined);
  const port = Number(l.address.split(':').pop());
  const open: Socket[] = [];
  const connectOne = () =>
    new Promise<void>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => resolve());
      s.on('error', () => resolve());
      open.push(s);
    });
  for (let i = 0; i < MAX_FORWARD_CONNECTIONS_PER_SOURCE + 20; i++) await connectOne();
  const aliveNow = () => open.filter((s) => !s.destroyed && s.readyState === 'open').length;
  await until('the connections over the cap closed', () => aliveNow() <= MAX_FORWARD_CONNECTIONS_PER_SOURCE);
  const alive = aliveNow();
  assert.equal(alive, MAX_FORWARD_CONNECTIONS_PER_SOURCE);
  for (const s of open) s.destroy();
  await l.close();
});
