/**
 * UdpStreamFlow on its own: datagrams batched per turn of the event loop arrive whole and in order, and a
 * flow over a real mux stream starts with UDP_FLOW_STREAM_WINDOW of credit, so a far side whose reader
 * stalls for a moment costs no datagram (the first seconds of the udp-direct bench lost 3 % without it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex, PassThrough } from 'node:stream';
import {
  MAX_UDP_FLOW_QUEUED_BYTES,
  UDP_FLOW_QUEUE_FLOOR_BYTES,
  UDP_FLOW_QUEUE_TARGET_MS,
  UDP_FLOW_STREAM_WINDOW,
  UdpStreamFlow,
  udpFlowQueueLimit,
} from '../../../src-main/forwards/udp-flow.js';
import { INITIAL_STREAM_WINDOW } from '../../../src-main/protocol/mux-frames.js';
import { MAX_UDP_DATAGRAM_BYTES } from '../../../src-main/protocol/udp-frames.js';
import { muxPair } from '../mux/mux-fixtures.js';
import { sleep, until } from '../../helpers/wait.js';

const turn = () => new Promise((r) => setImmediate(r));
test('datagrams sent in one turn, across frame blocks, come out whole and in order', async () => {
  // A PassThrough loops what the flow writes back to the flow's own reader.
  const stream = new PassThrough();
  const got: Buffer[] = [];
  const flow = new UdpStreamFlow(stream, {
    idleMs: 60_000,
    maxQueuedBytes: 1024 * 1024,
    onDatagram: (d) => got.push(d),
  });
  const sizes = [0, 1, 1200, 65_000, MAX_UDP_DATAGRAM_BYTES, 3, ...Array<number>(120).fill(1200), 7];
  const sent = sizes.map((n, i) => Buffer.alloc(n, i % 251));
  for (const d of sent.slice(0, 60)) assert.equal(flow.send(d), true);
  await turn();
  for (const d of sent.slice(60)) assert.equal(flow.send(d), true);
  for (let i = 0; i < 20 && got.length < sent.length; i++) await turn();
  assert.equal(got.length, sent.length);
  got.forEach((d, i) => assert.ok(d.equals(sent[i]!), `datagram ${i} (${sizes[i]} bytes)`));
  flow.close('test');
});

test('a flow over a mux stream grants UDP_FLOW_STREAM_WINDOW at once: a stalled far reader costs nothing until it is used', async () => {
  const pair = muxPair();
  try {
    const opened = await pair.ma.open('udp-test', {});
    const far = pair.accepted[0]!;
    let received = 0;
    new UdpStreamFlow(far, { idleMs: 60_000, onDatagram: () => received++ });
    assert.equal(far.receiveWindowSize, UDP_FLOW_STREAM_WINDOW);
    // The far side's application stops reading: only the window it granted carries datagrams now.
    far.pause();
    let dropped = 0;
    const near = new UdpStreamFlow(opened, {
      idleMs: 60_000,
      // The floor, fixed: what carries the datagrams past it is the window, not a queue grown meanwhile.
      maxQueuedBytes: UDP_FLOW_QUEUE_FLOOR_BYTES,
      onDatagram: () => undefined,
      counters: { received: () => undefined, sent: () => undefined, dropped: () => dropped++ },
    });
    // 1.2 MB in turns of 100 datagrams, as a socket hands them over: more than the 256 KiB a stream
    // starts with plus the flow's queue, less than the flow's window.
    const datagram = Buffer.alloc(1200, 0x5a);
    const total = 1000;
    assert.ok(
      total * 1202 > INITIAL_STREAM_WINDOW + UDP_FLOW_QUEUE_FLOOR_BYTES,
      'total * 1202 > INITIAL_STREAM_WINDOW + UDP_FLOW_QUEUE_FLOOR_BYTES',
    );
    assert.ok(total * 1202 < UDP_FLOW_STREAM_WINDOW, 'total * 1202 < UDP_FLOW_STREAM_WINDOW');
    for (let i = 0; i < total; i++) {
      near.send(datagram);
      if (i % 100 === 99) await turn();
    }
    await sleep(50, 'the far reader stalls: nothing may be dropped within this window');
    assert.equal(dropped, 0, 'nothing dropped while the far reader stalled');
    far.resume();
    await until('every datagram received', () => received >= total);
    assert.equal(received, total);
  } finally {
    pair.close();
  }
});

test('the queue bound is UDP_FLOW_QUEUE_TARGET_MS of the drain rate, between the floor and the cap', () => {
  assert.equal(udpFlowQueueLimit(0), UDP_FLOW_QUEUE_FLOOR_BYTES, 'a new or idle flow');
  assert.equal(udpFlowQueueLimit(5_000), UDP_FLOW_QUEUE_FLOOR_BYTES, '5 MB/s: 100 KB of 20 ms');
  assert.equal(udpFlowQueueLimit(60_000), 60_000 * UDP_FLOW_QUEUE_TARGET_MS, '60 MB/s: 1.2 MB');
  assert.equal(udpFlowQueueLimit(1e9), MAX_UDP_FLOW_QUEUED_BYTES);
});

test('a flow that drained fast rides out a stall of its stream with a deeper queue, still bounded', async () => {
  // A stream that takes what it is given at once until it stalls (its callbacks held, as a mux stream
  // out of credit or flight holds them): what the flow writes then waits in the stream's buffer.
  let stalled = false;
  const held: Array<() => void> = [];
  const stream = new Duplex({
    read: () => undefined,
    write: (_chunk: Buffer, _enc, callback: () => void) => (stalled ? held.push(callback) : callback()),
    writableHighWaterMark: 64 * 1024 * 1024,
  });
  let dropped = 0;
  const flow = new UdpStreamFlow(stream, {
    idleMs: 60_000,
    onDatagram: () => undefined,
    counters: { received: () => undefined, sent: () => undefined, dropped: () => dropped++ },
  });
  const datagram = Buffer.alloc(1200, 0x33);
  // 200 ms of 200 datagrams a turn: far above 256 KiB per 20 ms (12.8 MB/s) on any machine.
  const t0 = performance.now();
  while (performance.now() - t0 < 200) {
    for (let i = 0; i < 200; i++) flow.send(datagram);
    await turn();
  }
  assert.equal(dropped, 0);
  stalled = true;
  let queued = 0;
  while (dropped === 0 && queued < 2 * MAX_UDP_FLOW_QUEUED_BYTES) {
    for (let i = 0; i < 100 && dropped === 0; i++) if (flow.send(datagram)) queued += datagram.length;
    await turn();
  }
  assert.ok(dropped > 0, 'a stall long enough fills even the deeper queue');
  assert.ok(queued > 2 * UDP_FLOW_QUEUE_FLOOR_BYTES, `queued ${queued} before the first drop`);
  assert.ok(queued <= MAX_UDP_FLOW_QUEUED_BYTES, `queued ${queued}, at most the cap`);
  for (const callback of held.splice(0)) callback();
  flow.close('test');
  stream.destroy();
});
