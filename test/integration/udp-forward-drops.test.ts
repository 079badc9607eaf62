/**
 * A UDP forward's `dropped` counter says how many datagrams it did not deliver (issue 56): a flood of
 * FLOOD datagrams through a forward between two real agents on loopback, part of it sent while agent a
 * is stopped (SIGSTOP, as a busy event loop stalls for longer than its socket's buffer lasts), so the
 * kernel drops what overflows the forward's socket. Every datagram sent is then either received by the
 * sink behind b, counted in the forward's `dropped`, or dropped by the kernel at the sink's own socket
 * (beyond the forward; read from /proc/net/udp here, and 0 with its 8 MiB buffer on every run seen).
 * Before the forward read its socket's kernel drops, `dropped` missed every one of them.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import type { ForwardInfo } from '../../src-main/forwards/forwards-contract.js';
import { dropsOf, parseProcUdp } from '../../src-main/forwards/udp-kernel-drops.js';
import { cli, cliJson, stopAll } from '../helpers/processes.js';
import { startPair } from './terminal-setup.js';
import { sleep, until } from '../helpers/wait.js';

after(stopAll);

/** Datagrams in each half of the flood (the first while agent a is stopped). */
const HALF = 6_000;
const DATAGRAM_BYTES = 1_200;

function bound(opts: { recvBufferSize?: number } = {}): Promise<UdpSocket> {
  const s = createSocket({ type: 'udp4', ...opts });
  return new Promise((r) => s.bind(0, '127.0.0.1', () => r(s)));
}

async function forwardInfo(home: string, name: string): Promise<ForwardInfo> {
  const list = await cliJson<ForwardInfo[]>(['forward', 'list', '--home', home]);
  const f = list.find((x) => x.name === name);
  if (!f) throw new Error(`no forward ${name}`);
  return f;
}

/** Kernel drops at 127.0.0.1:`port` in this network namespace, or 0 where /proc does not say. */
function kernelDropsAt(port: number): number {
  try {
    return dropsOf(parseProcUdp(readFileSync('/proc/net/udp', 'utf8')), '127.0.0.1', port) ?? 0;
  } catch {
    return 0;
  }
}

/** Sends `n` datagrams as fast as the socket takes them (each waits for the previous send's callback). */
async function flood(s: UdpSocket, port: number, n: number, from: number): Promise<void> {
  const d = Buffer.alloc(DATAGRAM_BYTES);
  for (let i = 0; i < n; i++) {
    d.writeUInt32BE(from + i, 0);
    await new Promise<void>((resolve, reject) =>
      s.send(d, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
    );
  }
}

test(
  "a UDP forward's dropped counter equals the datagrams it did not deliver, kernel drops included",
  { timeout: 180_000, skip: process.platform !== 'linux' && 'the kernel says its drops in /proc on Linux' },
  async () => {
    const pair = await startPair({ relayOnly: false });
    const sink = await bound({ recvBufferSize: 8 * 1024 * 1024 });
    let received = 0;
    sink.on('message', () => received++);
    after(() => sink.close());
    const sinkPort = sink.address().port;
    const add = await cli([
      'forward',
      'add',
      '--udp',
      '--listen',
      '127.0.0.1:0',
      '--via',
      'b',
      '--to',
      `127.0.0.1:${sinkPort}`,
      '--name',
      'flood',
      '--home',
      pair.homeA,
    ]);
    assert.equal(add.code, 0, add.stderr);
    const port = Number(/127\.0\.0\.1:(\d+) ->/.exec(add.stdout)?.[1]);
    assert.ok(port > 0, add.stdout);

    const sender = await bound();
    after(() => sender.close());
    // One datagram first, so the flow is open before the flood.
    await flood(sender, port, 1, 0);
    await until('the first datagram through', () => received > 0, 30_000);
    assert.equal(received, 1, 'the first datagram went through');

    const pid = pair.a.child.pid!;
    process.kill(pid, 'SIGSTOP');
    try {
      await flood(sender, port, HALF, 1);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await flood(sender, port, HALF, 1 + HALF);
    const sent = 1 + 2 * HALF;

    // Until every datagram is accounted for, or nothing has moved for 10 s (bounded: 90 s; generous for a loaded machine).
    let info = await forwardInfo(pair.homeA, 'flood');
    let last = -1;
    let still = Date.now();
    const end = Date.now() + 90_000;
    while (Date.now() < end) {
      info = await forwardInfo(pair.homeA, 'flood');
      const seen = received + (info.dropped ?? 0) + kernelDropsAt(sinkPort);
      if (seen >= sent) break;
      if (seen !== last) {
        last = seen;
        still = Date.now();
      } else if (Date.now() - still > 10_000) break;
      await sleep(250, 'a poll that stops once the counts stop moving');
    }
    const sinkDrops = kernelDropsAt(sinkPort);
    const detail = JSON.stringify({ sent, received, sinkDrops, forward: info });
    assert.ok((info.kernelDropped ?? 0) > 0, `the stopped agent's socket overflowed: ${detail}`);
    assert.equal(received + (info.dropped ?? 0) + sinkDrops, sent, detail);
    const table = await cli(['forward', 'list', '--home', pair.homeA]);
    assert.match(table.stdout, /flood: UDP, .*dropped \d+ \(\d+ by the kernel/);
  },
);
