/**
 * Reverse UDP forwards (`forward add --reverse --udp`; ADR 0018, 0019) between two real agents over a
 * relay-only link (b runs --no-direct): refused without `listen` on b, in one line naming what to run
 * there; then b's UDP port carries datagrams of 1, 1,200 and 65,507 bytes to an echo server behind a,
 * whole and one for one (a burst of different sizes comes back as as many datagrams of the same
 * sizes), each client its own flow, counted in `forward list` and listed by `connections` as
 * `reverse-udp`; a real DNS server (dnsmasq, when installed) behind a answers `dig` on b; a port taken
 * on b is refused with why; switched off, b's port is free.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import type { ConnectionInfo } from '../../src-main/api/contract.js';
import type { ForwardInfo } from '../../src-main/forwards/forwards-contract.js';
import { agentCall, cli, cliJson, stopAll } from '../helpers/processes.js';
import { digA, startDnsmasq } from '../helpers/dnsmasq.js';
import { startPair } from './terminal-setup.js';
import { freeUdpPort } from '../helpers/ports.js';
import { until } from '../helpers/wait.js';

after(stopAll);

function bound(port = 0): Promise<UdpSocket> {
  const s = createSocket('udp4');
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, '127.0.0.1', () => resolve(s));
  });
}

async function udpEcho(): Promise<{ socket: UdpSocket; port: number }> {
  const socket = await bound();
  socket.on('message', (msg, rinfo) => socket.send(msg, rinfo.port, rinfo.address));
  return { socket, port: socket.address().port };
}

async function udpPortFree(port: number): Promise<boolean> {
  try {
    const s = await bound(port);
    await new Promise<void>((r) => s.close(() => r()));
    return true;
  } catch {
    return false;
  }
}

/** Sends `d` and waits for one datagram back; retried a few times (UDP may lose the first ones). */
async function roundTrip(s: UdpSocket, port: number, d: Buffer, timeoutMs = 15_000): Promise<Buffer> {
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

/** `n` datagrams back on `s`, in the order they came. */
function collect(s: UdpSocket, n: number, timeoutMs = 10_000): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const got: Buffer[] = [];
    const timer = setTimeout(() => reject(new Error(`${got.length} of ${n} datagrams back`)), timeoutMs);
    const onMessage = (msg: Buffer) => {
      got.push(msg);
      if (got.length < n) return;
      clearTimeout(timer);
      s.off('message', onMessage);
      resolve(got);
    };
    s.on('message', onMessage);
  });
}

function pattern(size: number): Buffer {
  const d = Buffer.alloc(size);
  for (let i = 0; i < size; i++) d[i] = (i * 31 + size) & 0xff;
  return d;
}

/** The forward `name` as `forward list --json` lists it, asked over the control socket (polled). */
async function forwardOf(home: string, name: string): Promise<ForwardInfo | undefined> {
  return (await agentCall(home, 'forward.list', {})).find((f) => f.name === name);
}

function reverseUdp(home: string, listen: string, to: string, name: string): ReturnType<typeof cli> {
  return cli([
    'forward',
    'add',
    '--reverse',
    '--udp',
    '--via',
    'b',
    '--listen',
    listen,
    '--to',
    to,
    '--name',
    name,
    '--home',
    home,
  ]);
}

function which(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

test('reverse UDP forwards over a relay-only link', { timeout: 180_000 }, async (t) => {
  const pair = await startPair({ relayOnly: true });
  const echo = await udpEcho();
  after(() => echo.socket.close());
  const to = `127.0.0.1:${echo.port}`;
  const port = await freeUdpPort();

  await t.test('refused without listen on b, in one line naming what to run there', async () => {
    const denied = await reverseUdp(pair.homeA, String(port), to, 'ru');
    assert.notEqual(denied.code, 0);
    assert.match(
      denied.stderr,
      /b refused to listen on 127\.0\.0\.1:\d+ \(UDP\): .*b does not allow .*peers allow a listen/,
    );
    assert.equal(denied.stderr.trim().split('\n').length, 1, denied.stderr);
    assert.equal(await forwardOf(pair.homeA, 'ru'), undefined, 'a refused forward is not saved');
  });

  const allow = await cli(['peers', 'allow', 'a', 'listen', '--home', pair.homeB]);
  assert.equal(allow.code, 0, allow.stderr);
  const added = await reverseUdp(pair.homeA, String(port), to, 'ru');
  assert.equal(added.code, 0, added.stderr);
  assert.match(added.stdout, /reverse UDP forward ru: b:127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+ \(listening\)/);

  await t.test('datagrams of 1, 1,200 and 65,507 bytes come back whole, one for one', async () => {
    const s = await bound();
    try {
      for (const size of [1, 1200, 65_507]) {
        const d = pattern(size);
        assert.ok((await roundTrip(s, port, d)).equals(d), `${size} bytes`);
      }
      // A burst of different sizes: as many datagrams back, each of its own size (none split or merged).
      const sizes = [65_507, 3, 1200, 0, 40_000, 17];
      const back = collect(s, sizes.length);
      for (const size of sizes) s.send(pattern(size), port, '127.0.0.1');
      const got = await back;
      assert.deepEqual(
        got.map((d) => d.length).sort((x, y) => x - y),
        [...sizes].sort((x, y) => x - y),
      );
      for (const d of got) assert.ok(d.equals(pattern(d.length)), `${d.length} bytes intact`);
    } finally {
      s.close();
    }
  });

  await t.test('clients are flows: counted in forward list, listed by connections', async () => {
    const clients = await Promise.all(Array.from({ length: 5 }, () => bound()));
    try {
      const backs = await Promise.all(clients.map((s, i) => roundTrip(s, port, Buffer.from(`c${i}`))));
      backs.forEach((b, i) => assert.equal(b.toString(), `c${i}`));
      const f = await forwardOf(pair.homeA, 'ru');
      assert.ok(f, 'f');
      assert.equal(f.direction, 'reverse');
      assert.equal(f.protocol, 'udp');
      assert.equal(f.state, 'listening');
      assert.equal(f.local, to);
      assert.equal(f.remote, `127.0.0.1:${port}`);
      assert.ok(f.open >= 5, `open flows ${f.open}`);
      assert.ok((f.datagramsIn ?? 0) >= 14 && (f.datagramsOut ?? 0) >= 14, JSON.stringify(f));
      assert.ok(f.bytesIn >= 65_507 * 2 + 40_000, `bytesIn ${f.bytesIn}`);
      const table = await cli(['forward', 'list', '--home', pair.homeA]);
      assert.match(table.stdout, /ru\s+reverse\s+127\.0\.0\.1:\d+\/udp\s+b\s+127\.0\.0\.1:\d+/);
      assert.match(table.stdout, /ru: UDP, flows idle out after 60 s; datagrams in \d+, out \d+, dropped 0/);
      const flows = (await cliJson<ConnectionInfo[]>(['connections', '--home', pair.homeA])).filter(
        (c) => c.kind === 'reverse-udp',
      );
      assert.ok(flows.length >= 5, JSON.stringify(flows));
      assert.equal(flows[0]!.peer?.name, 'b');
      assert.equal(flows[0]!.to, to);
    } finally {
      for (const s of clients) s.close();
    }
  });

  await t.test('a DNS query answered by dnsmasq behind a, asked on b', async (tt) => {
    if (!which('dnsmasq') || !which('dig')) {
      tt.skip('dnsmasq or dig is not installed (Debian: dnsmasq-base, dnsutils)');
      return;
    }
    const dnsPort = await startDnsmasq('10.4.5.6');
    const onB = await freeUdpPort();
    const r = await reverseUdp(pair.homeA, String(onB), `127.0.0.1:${dnsPort}`, 'rdns');
    assert.equal(r.code, 0, r.stderr);
    const answer = await until('a DNS answer through the reverse forward', () => digA(onB), 20_000);
    assert.equal(answer, '10.4.5.6');
  });

  await t.test('a port taken on b is refused with why', async () => {
    const blocker = await bound();
    try {
      const taken = blocker.address().port;
      const r = await reverseUdp(pair.homeA, String(taken), to, 'taken');
      assert.notEqual(r.code, 0);
      assert.match(
        r.stderr,
        /b refused to listen on 127\.0\.0\.1:\d+ \(UDP\): b cannot listen: .*already in use/,
      );
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    } finally {
      blocker.close();
    }
  });

  await t.test('switched off, b frees its port; on again, it carries datagrams', async () => {
    const off = await cli(['forward', 'disable', 'ru', '--home', pair.homeA]);
    assert.equal(off.code, 0, off.stderr);
    await until('port free on b', () => udpPortFree(port), 30_000);
    assert.equal((await forwardOf(pair.homeA, 'ru'))?.state, 'off');
    const on = await cli(['forward', 'enable', 'ru', '--home', pair.homeA]);
    assert.equal(on.code, 0, on.stderr);
    await until(
      'listening again',
      async () => (await forwardOf(pair.homeA, 'ru'))?.state === 'listening',
      20_000,
    );
    const s = await bound();
    try {
      assert.equal((await roundTrip(s, port, Buffer.from('again'))).toString(), 'again');
    } finally {
      s.close();
    }
    const rm = await cli(['forward', 'rm', 'ru', '--home', pair.homeA]);
    assert.equal(rm.code, 0, rm.stderr);
    await until('port free after rm', () => udpPortFree(port), 30_000);
  });
});
