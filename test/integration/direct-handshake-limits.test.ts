/**
 * The direct listener against connections that never become links (security regression): idle TCP,
 * half-sent ClientHellos, trickled bytes and refused nodes that never read are all closed at the
 * handshake deadline, and the per-source and total caps turn the excess away at once. Real sockets on
 * 127.0.0.x; the test process is both sides, so its own fd count shows what the listener still holds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { dialDirect, listenDirect, type DirectListenerOptions } from '../../src-main/transport/direct.js';
import type { Link } from '../../src-main/transport/link.js';
import { testIdentity } from '../helpers/identities.js';
import { until, sleep } from '../helpers/wait.js';

/** A TLS record header and handshake header announcing a 512-byte ClientHello, then nothing more. */
const HALF_CLIENT_HELLO = Buffer.from('1603010200010001fc0303', 'hex');
/** Header of a 16 KB handshake record whose body is then trickled one byte at a time. */
const TRICKLE_RECORD = Buffer.concat([Buffer.from('1603014000', 'hex'), Buffer.alloc(64)]);
/** How long any one wait in this file may take, in ms. */
const BOUND_MS = 3000;

const fdCount = () => (existsSync('/proc/self/fd') ? readdirSync('/proc/self/fd').length : undefined);

async function setup(over: Partial<DirectListenerOptions>) {
  const a = await testIdentity('a');
  const b = await testIdentity('b');
  const links: Link[] = [];
  const listener = await listenDirect({
    identity: b,
    host: '127.0.0.1',
    port: 0,
    admit: (fp) => (fp === a.fingerprint ? undefined : { code: 'UNSPECIFIED', reason: 'not a peer' }),
    onLink: (l) => links.push(l),
    ...over,
  });
  const open = () => listener.openConnections();
  return { a, b, listener, links, open, address: `127.0.0.1:${listener.port}` };
}

interface Attacker {
  socket: Socket;
  /** ms from connect to the server closing it, or undefined if it was still open after BOUND_MS. */
  closedAfter: Promise<number | undefined>;
}

/** A raw TCP connection that never completes TLS: silent, or sending `send`, or trickling a record. */
function attacker(port: number, how: { from?: string; send?: Buffer; trickle?: boolean } = {}) {
  return new Promise<Attacker>((resolve, reject) => {
    const socket = tcpConnect({ host: '127.0.0.1', port, localAddress: how.from });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => undefined); // a reset from the server is a close like any other
      socket.resume();
      const t0 = Date.now();
      let trickle: NodeJS.Timeout | undefined;
      if (how.send) socket.write(how.send);
      if (how.trickle) {
        let i = 0;
        trickle = setInterval(() => socket.write(TRICKLE_RECORD.subarray(i, ++i)), 50);
      }
      const closedAfter = new Promise<number | undefined>((done) => {
        const bound = setTimeout(() => done(undefined), BOUND_MS);
        socket.once('close', () => {
          clearTimeout(bound);
          done(Date.now() - t0);
        });
      }).finally(() => clearInterval(trickle));
      resolve({ socket, closedAfter });
    });
  });
}

test(
  'idle, half-sent ClientHello and trickling connections are closed at the deadline; the fds come back',
  { timeout: 20_000 },
  async () => {
    const { listener, open } = await setup({
      handshakeTimeoutMs: 300,
      maxPendingPerSource: 200,
      maxPendingTotal: 200,
    });
    const fdsBefore = fdCount();
    const port = listener.port;
    const attackers = await Promise.all([
      ...Array.from({ length: 40 }, () => attacker(port)),
      ...Array.from({ length: 40 }, () => attacker(port, { send: HALF_CLIENT_HELLO })),
      ...Array.from({ length: 4 }, () => attacker(port, { trickle: true })),
    ]);
    const closed = await Promise.all(attackers.map((x) => x.closedAfter));
    const stillOpen = closed.filter((ms) => ms === undefined).length;
    assert.equal(
      stillOpen,
      0,
      `${stillOpen} of ${closed.length} connections still open after ${BOUND_MS} ms`,
    );
    // Closed by the deadline, not at once by a cap (the caps are above 84 here).
    assert.ok(
      Math.min(...(closed as number[])) >= 250,
      `first closed after ${Math.min(...(closed as number[]))} ms`,
    );
    await until('the listener holds no sockets', async () => (await open()) === 0, BOUND_MS);
    if (fdsBefore !== undefined) {
      await until(
        'the process fd count is back to its baseline',
        () => fdCount()! <= fdsBefore + 2,
        BOUND_MS,
      );
    }
    await listener.close();
  },
);

test(
  'a refused node that completes TLS and never reads or closes is closed at the deadline',
  { timeout: 20_000 },
  async () => {
    const { listener, open } = await setup({ handshakeTimeoutMs: 300 });
    const c = await testIdentity('c');
    // allowHalfOpen (the TLSSocket takes it from the TCP socket it wraps): this client never answers
    // the listener's FIN, so only the listener can end the connection.
    const socket = tlsConnect({
      socket: tcpConnect({ host: '127.0.0.1', port: listener.port, allowHalfOpen: true }),
      cert: c.certPem,
      key: c.keyPem,
      minVersion: 'TLSv1.3',
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
    });
    socket.on('error', () => undefined);
    let received = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
    await until('the REFUSE preamble arrives', () => received.includes('not a peer'), BOUND_MS);
    assert.equal(received[4], 0x02, 'a REFUSE preamble frame with its code and the reason');
    assert.equal(await open(), 1, 'the refused socket is still open just after the refusal');
    await until('the listener closed the refused socket', async () => (await open()) === 0, BOUND_MS);
    socket.destroy();
    await listener.close();
  },
);

test(
  'a link outlives the handshake deadline: admitted connections are off the clock',
  { timeout: 20_000 },
  async () => {
    const { a, b, listener, links, open, address } = await setup({ handshakeTimeoutMs: 300 });
    const link = await dialDirect({ identity: a, address, expectedPeer: b.fingerprint });
    await until('the listener has the link', () => links.length === 1, BOUND_MS);
    await sleep(700, 'past the 300 ms handshake deadline: a linked peer must not be cut');
    const got = new Promise<string>((r) => links[0]!.onFrame((f) => r(Buffer.from(f).toString())));
    link.send(Buffer.from('still here'));
    assert.equal(await got, 'still here');
    assert.equal(await open(), 1);
    link.close();
    await listener.close();
  },
);

test(
  'per-source cap: the (K+1)th unauthenticated connection from one address is closed at once; a peer from another address still links',
  { timeout: 20_000 },
  async () => {
    const { a, b, listener, open, address } = await setup({
      handshakeTimeoutMs: 10_000,
      maxPendingPerSource: 4,
      maxPendingTotal: 8,
    });
    const port = listener.port;
    const held = await Promise.all(Array.from({ length: 4 }, () => attacker(port, { from: '127.0.0.2' })));
    await until('the listener counted the first four', async () => (await open()) === 4, BOUND_MS);
    const extra = await attacker(port, { from: '127.0.0.2' });
    const ms = await extra.closedAfter;
    // Closed while BOUND_MS (3 s) was running, so by the cap: the handshake timeout is 10 s.
    assert.ok(ms !== undefined, `the fifth from 127.0.0.2 was still open after ${BOUND_MS} ms`);
    assert.equal(await open(), 4, 'the first four are untouched');
    const link = await dialDirect({ identity: a, address, expectedPeer: b.fingerprint, timeoutMs: BOUND_MS });
    assert.equal(link.peerId, b.fingerprint);
    link.close();
    for (const x of held) x.socket.destroy();
    await listener.close();
  },
);

test(
  'total cap: once reached every address is closed at once, a peer included; when the flood leaves, the peer links',
  { timeout: 20_000 },
  async () => {
    const { a, b, listener, open, address } = await setup({
      handshakeTimeoutMs: 10_000,
      maxPendingPerSource: 4,
      maxPendingTotal: 6,
    });
    const port = listener.port;
    const held = await Promise.all(
      ['127.0.0.2', '127.0.0.3'].flatMap((from) => Array.from({ length: 3 }, () => attacker(port, { from }))),
    );
    await until('the listener counted all six', async () => (await open()) === 6, BOUND_MS);
    const extra = await attacker(port, { from: '127.0.0.4' });
    const ms = await extra.closedAfter;
    // Closed while BOUND_MS (3 s) was running, so by the cap: the handshake timeout is 10 s.
    assert.ok(ms !== undefined, `the seventh (from 127.0.0.4) was still open after ${BOUND_MS} ms`);
    const dial = () => dialDirect({ identity: a, address, expectedPeer: b.fingerprint, timeoutMs: BOUND_MS });
    await assert.rejects(dial(), /closed before it was accepted|failed/);
    for (const x of held) x.socket.destroy();
    await until('the flood is gone', async () => (await open()) === 0, BOUND_MS);
    const link = await dial();
    assert.equal(link.peerId, b.fingerprint);
    link.close();
    await listener.close();
  },
);

test(
  'rate: one address connecting in a loop is closed at once after its quota, before any handshake; others still link; the quota comes back',
  { timeout: 20_000 },
  async () => {
    const windowMs = 1500;
    const { a, b, listener, links, address } = await setup({ handshakeRate: { perWindow: 3, windowMs } });
    const port = listener.port;
    // Three connections that close at once, as a loop would: they count though none held a slot long.
    for (let i = 0; i < 3; i++) {
      const x = await attacker(port, { from: '127.0.0.2' });
      x.socket.destroy();
    }
    const t0 = Date.now();
    const fourth = await attacker(port, { from: '127.0.0.2', send: HALF_CLIENT_HELLO });
    const ms = await fourth.closedAfter;
    // Closed while BOUND_MS (3 s) was running, so by the cap: the handshake timeout is 10 s.
    assert.ok(ms !== undefined, `the fourth from 127.0.0.2 was still open after ${BOUND_MS} ms`);
    // Another address is not affected.
    const link = await dialDirect({ identity: a, address, expectedPeer: b.fingerprint, timeoutMs: BOUND_MS });
    assert.equal(link.peerId, b.fingerprint);
    link.close();
    // Once the window has passed, 127.0.0.2 is admitted again: its half-sent handshake is waited for.
    await sleep(Math.max(0, windowMs + 100 - (Date.now() - t0)), 'until the window has passed');
    const later = await attacker(port, { from: '127.0.0.2', send: HALF_CLIENT_HELLO });
    const closedSoon = await Promise.race([
      later.closedAfter,
      sleep(700, 'a half-sent handshake must be waited for, not cut at once').then(() => 'open' as const),
    ]);
    assert.equal(closedSoon, 'open', 'admitted again after the window');
    later.socket.destroy();
    assert.equal(links.length, 1);
    await listener.close();
  },
);

test(
  'the listener holds at most maxConnections in all, links included; one more is closed at accept',
  { timeout: 20_000 },
  async () => {
    const { a, b, listener, open, address } = await setup({ maxConnections: 3 });
    const links = await Promise.all(
      Array.from({ length: 3 }, () =>
        dialDirect({ identity: a, address, expectedPeer: b.fingerprint, timeoutMs: BOUND_MS }),
      ),
    );
    await until('the listener holds the three links', async () => (await open()) === 3, BOUND_MS);
    const extra = await attacker(listener.port, { from: '127.0.0.9' });
    const ms = await extra.closedAfter;
    // Closed while BOUND_MS (3 s) was running, so by the cap: the handshake timeout is 10 s.
    assert.ok(ms !== undefined, `the fourth connection was still open after ${BOUND_MS} ms`);
    for (const l of links) l.close();
    await until('the links are gone', async () => (await open()) === 0, BOUND_MS);
    const again = await dialDirect({
      identity: a,
      address,
      expectedPeer: b.fingerprint,
      timeoutMs: BOUND_MS,
    });
    again.close();
    await listener.close();
  },
);
