/**
 * What a mux counts as its owner's use of the link (mux.ts `uses`, MuxOptions.countsAsUse; docs/adr/0103-use-over-the-wait.md):
 * streams of the services it names, opened either way, and the DATA they carry either way; never a
 * stream of another service (the link's own, an exchange), nor a heartbeat or a ping.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { muxPair, readAll } from './mux-fixtures.js';
import { until } from '../../helpers/wait.js';

const countsAsUse = (service: string) => service === 'tcp-connect';

test('streams of the owner’s services count, opened either way and by what they carry', async () => {
  const p = muxPair({ a: { countsAsUse }, b: { countsAsUse } });
  const s = await p.ma.open('tcp-connect', { port: 80 });
  await until('b accepted the stream', () => p.accepted.length === 1);
  assert.equal(p.ma.uses, 1, 'the opener counts the stream it opened');
  assert.equal(p.mb.uses, 1, 'the other side counts the stream opened to it');

  s.end('GET / HTTP/1.0\r\n\r\n');
  const r = p.accepted[0]!;
  r.end('HTTP/1.0 200 OK\r\n\r\n');
  assert.equal((await readAll(r)).toString(), 'GET / HTTP/1.0\r\n\r\n');
  assert.equal((await readAll(s)).toString(), 'HTTP/1.0 200 OK\r\n\r\n');
  assert.ok(p.ma.uses > 1, `a counted the DATA both ways (${p.ma.uses})`);
  assert.ok(p.mb.uses > 1, `b counted the DATA both ways (${p.mb.uses})`);
  p.close();
});

test('other streams, pings and heartbeats count nothing', async () => {
  const p = muxPair({ a: { countsAsUse, heartbeatMs: 20 }, b: { countsAsUse, heartbeatMs: 20 } });
  const s = await p.ma.open('groups', { v: 1 });
  await until('b accepted the stream', () => p.accepted.length === 1);
  s.end('an exchange of the owner’s devices');
  assert.equal((await readAll(p.accepted[0]!)).toString(), 'an exchange of the owner’s devices');
  await p.ma.ping();
  await p.mb.ping();
  // Heartbeats every 20 ms: a few of them go by while this waits for an RTT from each side.
  let rtts = 0;
  p.ma.on('rtt', () => rtts++);
  await until('heartbeats went by', () => rtts >= 3);
  assert.equal(p.ma.uses, 0, 'nothing a counts is the owner’s use');
  assert.equal(p.mb.uses, 0, 'nothing b counts is the owner’s use');
  p.close();
});

test('without countsAsUse, nothing counts', async () => {
  const p = muxPair();
  const s = await p.ma.open('tcp-connect', {});
  s.end('bytes');
  assert.equal((await readAll(p.accepted[0]!)).toString(), 'bytes');
  assert.equal(p.ma.uses + p.mb.uses, 0, 'no service is named: no use is counted');
  p.close();
});
