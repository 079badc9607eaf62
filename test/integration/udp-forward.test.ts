/**
 * UDP forwards between two real agents over a relay-only link (b runs --no-direct): an echo server
 * behind b answers datagrams of 1, 1200 and 65,507 bytes whole, 20 clients share the forward's port as
 * separate flows, a real DNS server (dnsmasq, when installed) answers `dig` through the forward, and a
 * destination outside b's `forwardTo` limits is refused and counted as dropped.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import type { ForwardInfo } from '../../src-main/forwards/forwards-contract.js';
import { cli, cliJson, stopAll } from '../helpers/processes.js';
import { digA, startDnsmasq } from '../helpers/dnsmasq.js';
import { startPair } from './terminal-setup.js';
import { freeUdpPort } from '../helpers/ports.js';
import { until } from '../helpers/wait.js';

after(stopAll);

function bound(type: 'udp4' = 'udp4'): Promise<UdpSocket> {
  const s = createSocket(type);
  return new Promise((r) => s.bind(0, '127.0.0.1', () => r(s)));
}

async function udpEcho(): Promise<{ socket: UdpSocket; port: number }> {
  const socket = await bound();
  socket.on('message', (msg, rinfo) => socket.send(msg, rinfo.port, rinfo.address));
  return { socket, port: socket.address().port };
}

/** Sends `d` and waits for one datagram back; retried a few times (UDP may lose the first ones). */
async function roundTrip(s: UdpSocket, port: number, d: Buffer, timeoutMs = 10_000): Promise<Buffer> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await new Promise<Buffer | undefined>((resolve) => {
      const timer = setTimeout(() => {
        s.off('message', onMessage);
        resolve(undefined);
      }, 2_000);
      const onMessage = (msg: Buffer) => {
        clearTimeout(timer);
        resolve(msg);
      };
      s.once('message', onMessage);
      s.send(d, port, '127.0.0.1');
    });
    if (got) return got;
    if (Date.now() > deadline) throw new Error(`no reply to ${d.length} bytes within ${timeoutMs} ms`);
  }
}

async function forwardInfo(home: string, name: string): Promise<ForwardInfo> {
  const list = await cliJson<ForwardInfo[]>(['forward', 'list', '--home', home]);
  const f = list.find((x) => x.name === name);
  if (!f) throw new Error(`no forward ${name}`);
  return f;
}

function which(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

test('UDP forwards over a relay-only link', { timeout: 180_000 }, async (t) => {
  const pair = await startPair({ relayOnly: true });
  const home = ['--home', pair.homeA];
  const echo = await udpEcho();
  after(() => echo.socket.close());
  const port = await freeUdpPort();
  const add = await cli([
    'forward',
    'add',
    '--udp',
    '--udp-idle',
    '30s',
    '--listen',
    String(port),
    '--via',
    'b',
    '--to',
    `127.0.0.1:${echo.port}`,
    '--name',
    'u',
    ...home,
  ]);
  assert.equal(add.code, 0, add.stderr);
  assert.match(add.stdout, /UDP forward u: 127\.0\.0\.1:\d+ -> b -> 127\.0\.0\.1:\d+/);

  await t.test('datagrams of 1, 1200 and 65,507 bytes come back whole', async () => {
    const s = await bound();
    try {
      for (const size of [1, 1200, 65_507]) {
        const d = Buffer.alloc(size);
        for (let i = 0; i < size; i++) d[i] = (i * 7 + size) & 0xff;
        assert.ok((await roundTrip(s, port, d)).equals(d), `${size} bytes`);
      }
    } finally {
      s.close();
    }
  });

  await t.test('20 clients share the port, each its own flow', async () => {
    const clients = await Promise.all(Array.from({ length: 20 }, () => bound()));
    try {
      const backs = await Promise.all(clients.map((s, i) => roundTrip(s, port, Buffer.from(`c${i}`))));
      backs.forEach((b, i) => assert.equal(b.toString(), `c${i}`));
      const f = await forwardInfo(pair.homeA, 'u');
      assert.equal(f.protocol, 'udp');
      assert.equal(f.udpIdleS, 30);
      assert.ok(f.open >= 20, `open flows ${f.open}`);
      assert.ok((f.datagramsOut ?? 0) >= 23 && (f.datagramsIn ?? 0) >= 23, JSON.stringify(f));
      const table = await cli(['forward', 'list', ...home]);
      assert.match(table.stdout, /127\.0\.0\.1:\d+\/udp/);
      assert.match(table.stdout, /u: UDP, flows idle out after 30 s; datagrams in \d+, out \d+, dropped \d+/);
    } finally {
      for (const s of clients) s.close();
    }
  });

  await t.test('a DNS query answered by dnsmasq behind the peer', async (tt) => {
    if (!which('dnsmasq') || !which('dig')) {
      tt.skip(
        'dnsmasq or dig is not installed (Debian: dnsmasq-base, dnsutils; .ci/run installs them as root)',
      );
      return;
    }
    const dnsPort = await startDnsmasq('10.1.2.3');
    const fwdPort = await freeUdpPort();
    const r = await cli([
      'forward',
      'add',
      '--udp',
      '--listen',
      String(fwdPort),
      '--via',
      'b',
      '--to',
      `127.0.0.1:${dnsPort}`,
      '--name',
      'dns',
      ...home,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const answer = await until('a DNS answer through the forward', () => digA(fwdPort), 20_000);
    assert.equal(answer, '10.1.2.3');
  });

  await t.test('a destination outside forwardTo is refused and counted as dropped', async () => {
    const limit = await cli(['peers', 'limit', 'a', '127.0.0.1:1', '--home', pair.homeB]);
    assert.equal(limit.code, 0, limit.stderr);
    const refusedPort = await freeUdpPort();
    const r = await cli([
      'forward',
      'add',
      '--udp',
      '--listen',
      String(refusedPort),
      '--via',
      'b',
      '--to',
      `127.0.0.1:${echo.port}`,
      '--name',
      'refused',
      ...home,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const s = await bound();
    try {
      s.send(Buffer.from('x'), refusedPort, '127.0.0.1');
      const f = await until(
        'the refusal in forward list',
        async () => {
          const info = await forwardInfo(pair.homeA, 'refused');
          return info.lastProblem ? info : undefined;
        },
        20_000,
      );
      assert.match(f.lastProblem!.message, /b does not allow forwards from a to 127\.0\.0\.1:\d+ \(UDP\)/);
      assert.equal(f.dropped, 1);
    } finally {
      s.close();
      await cli(['peers', 'limit', 'a', '--any', '--home', pair.homeB]);
    }
  });
});
