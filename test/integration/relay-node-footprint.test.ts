/**
 * What a wss:// relay keeps per idle node that it need not (ADR 0069; issue 56: ≤ 24 KiB of RSS a
 * node): no ALPN list copied onto every TLS socket, no cached copy of a node's addresses on its
 * sockets, no 'connect' listener on an accepted socket, and a node offering its relay a short list of
 * cipher suites, which the relay's OpenSSL keeps for the life of the connection.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { Identity } from '../../src-main/crypto/identity.js';
import type { RelayServer } from '../../src-main/relay/server.js';
import { RelayClient } from '../../src-main/transport/relay-client.js';
import { RELAY_CLIENT_CIPHERS } from '../../src-main/transport/relay-session.js';
import { testIdentity } from '../helpers/identities.js';
import { catchClientHello, connectedClient, startTestRelay, within } from '../helpers/relay-harness.js';
import { sleep, until } from '../helpers/wait.js';

let relay: RelayServer;
let relayCert: Identity;

before(async () => {
  relayCert = await testIdentity('footprint-relay');
  // A short auth timeout: a node whose upgrade the acceptor did not recognise would be cut at it.
  relay = await startTestRelay({
    tls: { certPem: relayCert.certPem, keyPem: relayCert.keyPem },
    limits: { authTimeoutMs: 1_500 },
  });
});
after(() => relay.close());

test('the relay chooses no ALPN protocol for a client that offers one', async () => {
  const socket = connectTls({
    host: '127.0.0.1',
    port: relay.port,
    rejectUnauthorized: false,
    ALPNProtocols: ['http/1.1'],
  });
  try {
    await within('the TLS handshake', new Promise((resolve) => socket.once('secureConnect', resolve)));
    // Node's HTTPS server chose 'http/1.1', from a copy of its list on every TLS socket.
    assert.equal(socket.alpnProtocol, false);
  } finally {
    socket.destroy();
  }
});

test("a node registers and stays without the relay reading its sockets' addresses or waiting for 'connect'", async () => {
  // Server-side sockets of this process (the relay's) whose address Node looked up and kept: an
  // accepted socket has `server`, the TLS socket over it a server-side `_tlsOptions`.
  type Probe = Socket & {
    server?: unknown;
    _tlsOptions?: { isServer?: boolean };
    _getsockname: (this: Probe) => unknown;
    _getpeername: (this: Probe) => unknown;
  };
  const proto = Socket.prototype as unknown as Probe;
  const [sockname, peername] = [proto._getsockname, proto._getpeername];
  const looked = { local: 0, remoteTls: 0 };
  const relaySide = (s: Probe) => s.server !== undefined || s._tlsOptions?.isServer === true;
  /** The relay's accepted TCP sockets: it reads their remote address for the per-IP limits. */
  const accepted: Probe[] = [];
  proto._getsockname = function (this: Probe) {
    if (relaySide(this)) looked.local += 1;
    return sockname.call(this);
  };
  proto._getpeername = function (this: Probe) {
    if (relaySide(this) && this._tlsOptions?.isServer === true) looked.remoteTls += 1;
    else if (relaySide(this) && !accepted.includes(this)) accepted.push(this);
    return peername.call(this);
  };
  let client: RelayClient | undefined;
  try {
    client = await connectedClient(relay.url, await testIdentity('footprint-a'), {
      pinnedFingerprint: relayCert.fingerprint,
    });
    // Past the acceptor's deadline (authTimeoutMs): the upgrade was found by its socket and kept.
    await sleep(1_700, "past the acceptor's deadline: the upgraded connection must be kept");
    assert.equal(client.state, 'connected');
    assert.equal(relay.stats().nodes, 1);
    // Before: the acceptor keyed connections by their 4-tuple, read on the TCP socket and again on the
    // TLS socket, and the relay read the TLS socket's remote address for the per-IP limits.
    assert.deepEqual(looked, { local: 0, remoteTls: 0 });
    // Nor the 'connect' listener Node's TLS socket leaves on the TCP socket under it, which an
    // accepted socket never emits.
    assert.ok(accepted.length >= 1, 'no accepted socket of the relay seen');
    for (const s of accepted) assert.equal(s.listenerCount('connect'), 0);
  } finally {
    proto._getsockname = sockname;
    proto._getpeername = peername;
    client?.stop();
  }
});

test("idle nodes' TCP sockets share the relay's 'close' listener, which still gives each address slot back", async () => {
  // A relay of its own with room for two connections from 127.0.0.1: a slot not given back would
  // refuse the third node.
  const small = await startTestRelay({
    tls: { certPem: relayCert.certPem, keyPem: relayCert.keyPem },
    limits: { connectionsPerIp: 2 },
  });
  type Probe = Socket & { server?: unknown; _tlsOptions?: unknown; _getpeername: (this: Probe) => unknown };
  const proto = Socket.prototype as unknown as Probe;
  const peername = proto._getpeername;
  /** The relay's accepted TCP sockets, as the acceptor reads their remote address. */
  const accepted: Probe[] = [];
  proto._getpeername = function (this: Probe) {
    if (this.server !== undefined && this._tlsOptions === undefined && !accepted.includes(this))
      accepted.push(this);
    return peername.call(this);
  };
  const clients: RelayClient[] = [];
  const join = async (name: string) =>
    clients.push(
      await connectedClient(small.url, await testIdentity(name), {
        pinnedFingerprint: relayCert.fingerprint,
      }),
    );
  try {
    await join('footprint-c');
    await join('footprint-d');
    assert.equal(accepted.length, 2, `accepted sockets seen: ${accepted.length}`);
    const [a, b] = accepted.map((s) => s.listeners('close'));
    // Before: a closure of its own on every socket (a function and its context per idle node).
    assert.ok(
      a!.some((f) => b!.includes(f)),
      `no 'close' listener shared by two nodes' sockets (${a!.length} and ${b!.length} listeners)`,
    );
    clients.shift()!.stop();
    await until('the relay forgetting the stopped node', () => small.stats().nodes === 1);
    await until("the stopped node's TCP socket closing", () => accepted[0]!.destroyed);
    await join('footprint-e');
    assert.equal(small.stats().nodes, 2);
  } finally {
    proto._getpeername = peername;
    for (const c of clients) c.stop();
    await small.close();
  }
});

/** The cipher suites (2-byte ids) a ClientHello offers. */
function offeredSuites(hello: Buffer): number[] {
  // Record header (5), handshake header (4), version (2), random (32), then the session id.
  let at = 5 + 4 + 2 + 32;
  at += 1 + hello[at]!;
  const length = hello.readUInt16BE(at);
  const suites: number[] = [];
  for (let i = 0; i < length; i += 2) suites.push(hello.readUInt16BE(at + 2 + i));
  return suites;
}

test('a node offers its relay the short cipher list only', async () => {
  // A listener of our own catches the ClientHello of a real RelayClient dialing it.
  const identity = await testIdentity('footprint-b');
  const hello = await catchClientHello((port) => {
    const client = new RelayClient({
      url: `wss://127.0.0.1:${port}`,
      identity,
      pinnedFingerprint: relayCert.fingerprint,
      retryDelayMs: () => 60_000,
    });
    client.on('error', () => undefined);
    client.start();
    return () => client.stop();
  });
  const suites = offeredSuites(hello);
  // Node's default offered ~60 suites (TLS 1.2's CBC, DHE and CCM ones included), plus a signalling one.
  const signalling = 0x00ff;
  assert.equal(
    suites.filter((s) => s !== signalling).length,
    RELAY_CLIENT_CIPHERS.split(':').length,
    `offered ${suites.length} suites`,
  );
});
