/**
 * UDP forwards over an in-memory link to an exit running the real udp-connect service: datagrams whole
 * both ways, one flow per client address, the destination limits, idle ends, the flow cap, drops.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex, PassThrough } from 'node:stream';
import { readFileSync } from 'node:fs';
import {
  receiveBufferShortfall,
  UDP_SOCKET_BUFFER_BYTES,
  UdpStreamFlow,
} from '../../../src-main/forwards/udp-flow.js';
import { listenUdp, type UdpListener } from '../../../src-main/forwards/udp-forward.js';
import { encodeUdpFrame } from '../../../src-main/protocol/udp-frames.js';
import { memoryLogger } from './fixtures.js';
import { client, roundTrip, udpEcho, udpExit } from './udp-fixtures.js';
import { sleep, until } from '../../helpers/wait.js';

function counters() {
  const c = { in: 0, out: 0, dropped: 0, flows: 0, opened: 0 };
  return {
    c,
    counters: {
      datagramIn: () => c.in++,
      datagramOut: () => c.out++,
      dropped: () => c.dropped++,
      flow: (open: boolean) => {
        c.flows += open ? 1 : -1;
        if (open) c.opened++;
      },
    },
  };
}

async function forward(
  dialer: ReturnType<typeof udpExit>['dialer'],
  port: number,
  extra: { idleMs?: number; maxFlows?: number; socketBufferBytes?: number } = {},
) {
  const problems: string[] = [];
  const { c, counters: cs } = counters();
  const logged = memoryLogger();
  const listener: UdpListener = await listenUdp('127.0.0.1', 0, {
    name: 'u',
    log: logged.log,
    problem: (m) => problems.push(m),
    opened: () => undefined,
    via: 'b',
    target: `127.0.0.1:${port}`,
    idleMs: extra.idleMs ?? 60_000,
    open: () => dialer.connectUdp!('b', '127.0.0.1', port, extra.idleMs ?? 60_000),
    counters: cs,
    ...(extra.maxFlows !== undefined ? { maxFlows: extra.maxFlows } : {}),
    ...(extra.socketBufferBytes !== undefined ? { socketBufferBytes: extra.socketBufferBytes } : {}),
  });
  return { listener, port: Number(listener.address.split(':').pop()), problems, c, lines: logged.lines };
}

test('datagrams of 0, 1, 1200 and 65,507 bytes come back whole through the exit', async () => {
  const exit = udpExit();
  const echo = await udpEcho();
  const f = await forward(exit.dialer, echo.port);
  const s = await client();
  try {
    for (const size of [1, 1200, 65_507, 0]) {
      const d = Buffer.alloc(size, size & 0xff);
      const back = await roundTrip(s, f.port, d);
      assert.ok(back.equals(d), `${size} bytes`);
    }
    assert.deepEqual(
      { in: f.c.in, out: f.c.out, flows: f.c.flows, dropped: f.c.dropped },
      {
        in: 4,
        out: 4,
        flows: 1,
        dropped: 0,
      },
    );
  } finally {
    s.close();
    await f.listener.close();
    echo.socket.close();
    exit.close();
  }
});

test('20 clients share the port, each its own flow, each hearing only its own replies', async () => {
  const exit = udpExit();
  const echo = await udpEcho();
  const f = await forward(exit.dialer, echo.port);
  const clients = await Promise.all(Array.from({ length: 20 }, () => client()));
  try {
    const backs = await Promise.all(clients.map((s, i) => roundTrip(s, f.port, Buffer.from(`client ${i}`))));
    backs.forEach((b, i) => assert.equal(b.toString(), `client ${i}`));
    assert.equal(f.listener.flows, 20);
    assert.equal(exit.open.size, 20);
  } finally {
    for (const s of clients) s.close();
    await f.listener.close();
    echo.socket.close();
    exit.close();
  }
});

test('a destination outside forwardTo is refused: the datagram is dropped and the reason reported', async () => {
  const exit = udpExit(['127.0.0.1:1']);
  const echo = await udpEcho();
  const f = await forward(exit.dialer, echo.port);
  const s = await client();
  try {
    s.send(Buffer.from('x'), f.port, '127.0.0.1');
    await until('a problem reported', () => f.problems.length > 0);
    assert.match(f.problems[0] ?? '', /b does not allow forwards from a to 127\.0\.0\.1:\d+ \(UDP\)/);
    assert.equal(f.c.dropped, 1);
    assert.equal(f.listener.flows, 0);
  } finally {
    s.close();
    await f.listener.close();
    echo.socket.close();
    exit.close();
  }
});

test('an idle flow ends on both sides; the next datagram opens a new one', async () => {
  const exit = udpExit();
  const echo = await udpEcho();
  const f = await forward(exit.dialer, echo.port, { idleMs: 1000 });
  const s = await client();
  try {
    await roundTrip(s, f.port, Buffer.from('one'));
    assert.equal(exit.open.size, 1);
    await until('the flows ended on both ends', () => f.listener.flows === 0 && exit.open.size === 0);
    assert.equal(f.listener.flows, 0);
    assert.equal(exit.open.size, 0);
    assert.equal((await roundTrip(s, f.port, Buffer.from('two'))).toString(), 'two');
    assert.equal(f.c.opened, 2);
  } finally {
    s.close();
    await f.listener.close();
    echo.socket.close();
    exit.close();
  }
});

test('beyond its flow cap a new client is dropped and counted while no flow is idle; the others go on', async () => {
  const exit = udpExit();
  const echo = await udpEcho();
  const f = await forward(exit.dialer, echo.port, { maxFlows: 2 });
  const [a, b, c] = await Promise.all([client(), client(), client()]);
  try {
    await roundTrip(a, f.port, Buffer.from('a'));
    await roundTrip(b, f.port, Buffer.from('b'));
    await assert.rejects(roundTrip(c, f.port, Buffer.from('c'), 300), /no reply/);
    assert.equal(f.c.dropped, 1);
    assert.equal((await roundTrip(a, f.port, Buffer.from('a2'))).toString(), 'a2');
  } finally {
    for (const s of [a, b, c]) s.close();
    await f.listener.close();
    echo.socket.close();
    exit.close();
  }
});

test('a new client takes the place of a flow idle 1 s; the exit never holds more than the cap', async () => {
  const exit = udpExit();
  const echo = await udpEcho();
  const f = await forward(exit.dialer, echo.port, { maxFlows: 2 });
  const [a, b, c, d] = await Promise.all([client(), client(), client(), client()]);
  // The most flows the exit held at once, flows being set up included, seen at each new one.
  let most = 0;
  const reserve = exit.open.reserve.bind(exit.open);
  exit.open.reserve = () => {
    const release = reserve();
    most = Math.max(most, exit.open.size);
    return release;
  };
  try {
    await roundTrip(a, f.port, Buffer.from('a'));
    await roundTrip(b, f.port, Buffer.from('b'));
    // Both busy a moment ago: a new client is still dropped.
    await assert.rejects(roundTrip(c, f.port, Buffer.from('c'), 300), /no reply/);
    await sleep(1_100, 'a idle for over a second: the idle flow may now be replaced');
    // b stays busy; a has been idle over a second: c takes its place.
    await roundTrip(b, f.port, Buffer.from('b2'));
    assert.equal((await roundTrip(c, f.port, Buffer.from('c2'))).toString(), 'c2');
    assert.equal((await roundTrip(b, f.port, Buffer.from('b3'))).toString(), 'b3');
    // Right after, nothing has been idle a second: d waits.
    await assert.rejects(roundTrip(d, f.port, Buffer.from('d'), 300), /no reply/);
    assert.equal(f.listener.flows, 2);
    assert.ok(most <= 2, `the exit held ${most} flows at once`);
  } finally {
    for (const s of [a, b, c, d]) s.close();
    await f.listener.close();
    echo.socket.close();
    exit.close();
  }
});

test('a flow drops (and counts) what would queue beyond its limit instead of buffering', () => {
  // A write side that never completes a write: like a mux stream out of credit.
  const stream = new Duplex({ read: () => undefined, write: () => undefined, highWaterMark: 16 });
  let dropped = 0;
  let sent = 0;
  const flow = new UdpStreamFlow(stream, {
    idleMs: 60_000,
    maxQueuedBytes: 200,
    onDatagram: () => undefined,
    counters: { received: () => undefined, sent: () => sent++, dropped: () => dropped++ },
  });
  for (let i = 0; i < 10; i++) flow.send(Buffer.alloc(60));
  assert.ok(sent >= 1 && sent <= 4, `sent ${sent}`);
  assert.equal(sent + dropped, 10);
  assert.ok(stream.writableLength <= 200 + 62, 'stream.writableLength <= 200 + 62');
  flow.close('test');
  stream.destroy();
});

test('a frame announcing more than 65,507 bytes resets the flow', async () => {
  const stream = new PassThrough();
  let got = 0;
  const closed = new Promise<string>((resolve) => {
    new UdpStreamFlow(stream, {
      idleMs: 60_000,
      onDatagram: () => got++,
      onClose: resolve,
    });
  });
  // A PassThrough loops what is written back to its reader: write a good frame, then a bad header.
  stream.write(encodeUdpFrame(Buffer.from('ok')));
  stream.write(Buffer.from('ffff', 'hex'));
  assert.match(await closed, /65507/);
  assert.equal(got, 1);
});

test("a flow the exit's owner no longer allows ends, and the forward says why", async () => {
  const exit = udpExit();
  const echo = await udpEcho();
  const f = await forward(exit.dialer, echo.port);
  const s = await client();
  try {
    await roundTrip(s, f.port, Buffer.from('before'));
    // The exit's owner takes `forward` away: its registry ends the flow (services/services.ts).
    exit.deny();
    const reason = `b no longer allows forwards from a; the connection to 127.0.0.1:${echo.port} is closed`;
    await until(
      'a problem reported and the flow ended',
      () => f.problems.length > 0 && f.listener.flows === 0,
    );
    assert.deepEqual(f.problems, [reason]);
    assert.equal(f.listener.flows, 0);
  } finally {
    s.close();
    await f.listener.close();
    echo.socket.close();
    exit.close();
  }
});

test('a receive buffer the kernel capped is described with the limit to raise; one it granted is not', () => {
  // Linux reports twice what it set: 425,984 is a stock system's 208 KiB cap on a 4 MiB ask.
  assert.equal(
    receiveBufferShortfall(425_984, 4 * 1024 * 1024, 'linux'),
    "the UDP socket's receive buffer holds 208 KiB of the 4096 KiB asked (net.core.rmem_max caps it; " +
      'raise it with `sysctl -w net.core.rmem_max=4194304`): datagrams that arrive while the agent is busy ' +
      "for longer than it lasts are dropped by the kernel (counted in the forward's dropped)",
  );
  assert.equal(receiveBufferShortfall(8 * 1024 * 1024, 4 * 1024 * 1024, 'linux'), undefined);
  assert.equal(receiveBufferShortfall(4 * 1024 * 1024, 4 * 1024 * 1024, 'darwin'), undefined);
  assert.match(
    receiveBufferShortfall(1024 * 1024, 4 * 1024 * 1024, 'darwin') ?? '',
    /system's socket buffer limit/,
  );
});

/** net.core.rmem_max of this machine, in bytes (what a socket may ask for without privileges). */
function rmemMax(): number {
  return Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
}

test(
  'a UDP forward whose socket got less receive buffer than it asked says so once in its log, and its exit too',
  { skip: process.platform !== 'linux' && 'the kernel cap checked is Linux' },
  async () => {
    // More than this machine lets a socket have (a stock Linux allows 208 KiB; this VM 4 MiB).
    const asked = 4 * rmemMax();
    const exit = udpExit(undefined, { socketBufferBytes: asked });
    const echo = await udpEcho();
    const f = await forward(exit.dialer, echo.port, { socketBufferBytes: asked });
    const s1 = await client();
    const s2 = await client();
    try {
      const warned = (lines: typeof f.lines) =>
        lines.filter((l) => l.level === 40 && /net\.core\.rmem_max caps it/.test(String(l.msg)));
      assert.equal(warned(f.lines).length, 1, JSON.stringify(f.lines));
      assert.match(
        String(warned(f.lines)[0]!.msg),
        /^UDP forward u: the UDP socket's receive buffer holds \d+ KiB of the/,
      );
      // Two flows, two exit sockets: the exit says it once.
      await roundTrip(s1, f.port, Buffer.from('one'));
      await roundTrip(s2, f.port, Buffer.from('two'));
      assert.equal(warned(exit.exitLog.lines).length, 1, JSON.stringify(exit.exitLog.lines));
    } finally {
      s1.close();
      s2.close();
      await f.listener.close();
      echo.socket.close();
      exit.close();
    }
  },
);

test(
  'a UDP forward that got the receive buffer it asked for says nothing of it',
  {
    skip:
      (process.platform !== 'linux' && 'the kernel cap checked is Linux') ||
      (rmemMax() < UDP_SOCKET_BUFFER_BYTES && 'net.core.rmem_max is below what a forward asks for here'),
  },
  async () => {
    const exit = udpExit();
    const echo = await udpEcho();
    const f = await forward(exit.dialer, echo.port);
    const s = await client();
    try {
      await roundTrip(s, f.port, Buffer.from('one'));
      const all = [...f.lines, ...exit.exitLog.lines];
      assert.deepEqual(
        all.filter((l) => /rmem_max/.test(String(l.msg))),
        [],
      );
    } finally {
      s.close();
      await f.listener.close();
      echo.socket.close();
      exit.close();
    }
  },
);
