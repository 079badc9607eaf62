/**
 * Forward caps against a peer that asks for everything at once (issue 52, F4, F5, F9), with a real
 * agent on loopback and a peer driven by hand over a real direct link (test/helpers/raw-peer.ts) that
 * opens its streams all at once:
 *
 * - 200 `reverse-listen` OPENs at once leave at most MAX_REVERSE_LISTENERS_PER_PEER listeners;
 * - 1,000 `reverse-connect` flows at once of a reverse UDP forward leave at most its flow cap of
 *   flows (and sockets), and 1,000 TCP ones at most MAX_REVERSE_CONNECTIONS_PER_FORWARD dials;
 * - a connection a peer's reverse listener accepted is listed in `connections`, and ends when asking
 *   for that listener again is refused or the owner takes `listen` away, also after its link was lost;
 * - (two real agents) another local user who sent from 260 source ports does not lock a UDP forward's
 *   real clients out.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Socket } from 'node:net';
import type { ConnectionInfo } from '../../src-main/api/contract.js';
import type { ForwardInfo } from '../../src-main/forwards/forwards-contract.js';
import { awaitConnectResult } from '../../src-main/forwards/dialer.js';
import { MAX_REVERSE_CONNECTIONS_PER_FORWARD } from '../../src-main/forwards/reverse-carrier.js';
import {
  encodeReverseAnswer,
  MAX_REVERSE_LISTENERS_PER_PEER,
} from '../../src-main/forwards/reverse-protocol.js';
import { MAX_UDP_FLOWS_PER_FORWARD } from '../../src-main/forwards/udp-forward.js';
import type { MuxStream } from '../../src-main/mux/mux.js';
import type { StreamRequest } from '../../src-main/mux/types.js';
import { agentCall, cliJson, stopAll, tempHome } from '../helpers/processes.js';
import { linkRawPeer, openMany, rawPeer, type RawPeer } from '../helpers/raw-peer.js';
import { testIdentity } from '../helpers/identities.js';
import { listeningTcpPorts, ok, portFree, startAgent, startPair } from './forward-helpers.js';
import { freePort } from '../helpers/ports.js';
import { until, sleep } from '../helpers/wait.js';

after(stopAll);

const idOf = (i: number) => i.toString(16).padStart(16, '0');

/** One agent `x`, and a raw peer `r` it trusts (allowed `listen`) that answers `reverse-listen`. */
let home: string;
let peer: RawPeer;
/** The agent's process: the listeners counted are its own. */
let agentPid: number;
/** The forward ids the agent asked the raw peer to listen for, by the port it asked for. */
const asked = new Map<number, string>();
/** What the raw peer does with the agent's `reverse-connect` streams (tests set it). */
let onConnect: (req: StreamRequest) => void = (req) => req.reject('UNKNOWN_SERVICE', 'not now');

before(async () => {
  home = tempHome('caps');
  agentPid = (await startAgent(home, { name: 'x', listen: '127.0.0.1:0' })).child.pid!;
  peer = await rawPeer(home, await testIdentity('raw-caps'), {
    name: 'r',
    allow: 'listen',
    serve: (req) => {
      if (req.service === 'reverse-listen') {
        // The agent's reverse forward: "listening" here as a real peer would say, for as long as asked.
        const args = req.args as { port: number; id: string };
        const s = req.accept();
        s.on('error', () => undefined);
        s.resume();
        s.write(encodeReverseAnswer(`127.0.0.1:${args.port}`));
        asked.set(args.port, args.id);
        return;
      }
      if (req.service === 'reverse-connect') return onConnect(req);
      req.reject('UNKNOWN_SERVICE', 'the raw peer offers nothing else');
    },
  });
});

async function connections(): Promise<ConnectionInfo[]> {
  return cliJson<ConnectionInfo[]>(['connections', '--home', home]);
}

async function addReverse(name: string, udp: boolean, to: string): Promise<string> {
  const port = await freePort();
  await ok([
    'forward',
    'add',
    '--reverse',
    ...(udp ? ['--udp'] : []),
    '--via',
    'r',
    '--listen',
    String(port),
    '--to',
    to,
    '--name',
    name,
    '--home',
    home,
  ]);
  return until(`the agent to ask r to listen for ${name}`, () => asked.get(port), 10_000);
}

test('200 reverse-listen OPENs at once leave at most the cap of listeners', { timeout: 60_000 }, async () => {
  // Two hundred different ports: bind(0) often hands out a port it handed out a moment ago, and a
  // port asked for twice would be one listener counted twice.
  const picked = new Set<number>();
  for (let i = 0; i < 1000 && picked.size < 200; i++) picked.add(await freePort());
  const ports = [...picked];
  assert.equal(ports.length, 200);
  const results = await openMany(
    peer.mux,
    'reverse-listen',
    (i) => ({ v: 1, host: '127.0.0.1', port: ports[i], id: idOf(i) }),
    200,
  );
  const accepted = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const refused = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
  try {
    assert.ok(accepted.length >= 1, refused.slice(0, 3).join('\n'));
    assert.ok(
      accepted.length <= MAX_REVERSE_LISTENERS_PER_PEER,
      `${accepted.length} listeners for one peer (cap ${MAX_REVERSE_LISTENERS_PER_PEER})`,
    );
    assert.ok(
      refused.every((r) => /already listens on 16 addresses for r/.test(r)),
      refused[0],
    );
    // Seen from outside: the agent listens on no more ports than that.
    const listening = listeningTcpPorts(agentPid);
    const bound = ports.filter((port) => listening.has(port)).length;
    assert.ok(bound <= MAX_REVERSE_LISTENERS_PER_PEER, `${bound} ports bound`);
  } finally {
    for (const s of accepted) s.destroy();
  }
  // Their streams gone, the ports are free again.
  await until(
    'the listeners to close',
    () => {
      const listening = listeningTcpPorts(agentPid);
      return ports.every((port) => !listening.has(port));
    },
    10_000,
  );
});

test(
  '1,000 UDP reverse connects at once leave at most the forward’s cap of flows',
  { timeout: 90_000 },
  async () => {
    const echo = createSocket('udp4');
    echo.on('message', (msg, rinfo) => echo.send(msg, rinfo.port, rinfo.address));
    await new Promise<void>((r) => echo.bind(0, '127.0.0.1', () => r()));
    const id = await addReverse('ru', true, `127.0.0.1:${echo.address().port}`);
    const results = await openMany(peer.mux, 'reverse-connect', () => ({ id }), 1000);
    const streams = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    try {
      // Each accepted flow answers ok (it has its socket) or why not.
      const answers = await Promise.allSettled(
        streams.map((s) => awaitConnectResult(s, 'x', 'the echo server')),
      );
      const flows = answers.filter((a) => a.status === 'fulfilled').length;
      const why = answers.flatMap((a) => (a.status === 'rejected' ? [String(a.reason)] : []));
      assert.ok(flows >= 1, why[0]);
      assert.ok(flows <= MAX_UDP_FLOWS_PER_FORWARD, `${flows} flows (cap ${MAX_UDP_FLOWS_PER_FORWARD})`);
      assert.ok(
        why.every((w) => /too many UDP flows/.test(w)),
        why.find((w) => !/too many UDP flows/.test(w)),
      );
      const listed = (await connections()).filter((c) => c.kind === 'reverse-udp');
      assert.ok(listed.length <= MAX_UDP_FLOWS_PER_FORWARD, `${listed.length} listed`);
    } finally {
      for (const s of streams) s.destroy();
      echo.close();
    }
  },
);

test(
  '1,000 TCP reverse connects at once: at most the forward’s cap are dialed',
  { timeout: 90_000 },
  async () => {
    // The target here: counts the connections it holds at once.
    let open = 0;
    let peak = 0;
    const held = new Set<Socket>();
    const target = createServer((s) => {
      held.add(s);
      peak = Math.max(peak, ++open);
      s.on('error', () => undefined);
      s.on('close', () => {
        held.delete(s);
        open--;
      });
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', 1024, () => r()));
    const port = (target.address() as { port: number }).port;
    const id = await addReverse('rt', false, `127.0.0.1:${port}`);
    const results = await openMany(peer.mux, 'reverse-connect', () => ({ id }), 1000);
    const streams = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    try {
      assert.ok(streams.length >= 1, refused[0]);
      assert.ok(
        streams.length <= MAX_REVERSE_CONNECTIONS_PER_FORWARD,
        `${streams.length} connections carried (cap ${MAX_REVERSE_CONNECTIONS_PER_FORWARD})`,
      );
      assert.ok(peak <= MAX_REVERSE_CONNECTIONS_PER_FORWARD, `${peak} dials reached the target`);
      assert.ok(
        refused.every((r) => /the most one reverse forward carries/.test(r)),
        refused.find((r) => !/the most one reverse forward carries/.test(r)),
      );
    } finally {
      for (const s of streams) s.destroy();
      for (const s of held) s.destroy();
      target.close();
    }
  },
);

/** The raw peer asks the agent to listen for forward `id` on `port` (or whatever `host` says). */
async function askListen(port: number, id: string, host = '127.0.0.1'): Promise<MuxStream> {
  return peer.mux.open('reverse-listen', { v: 1, host, port, id });
}

/** Connects to the agent's listener on `port`; resolves once a line sent comes back (echoed by r). */
async function echoedClient(port: number): Promise<Socket> {
  const s = connect(port, '127.0.0.1');
  s.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    s.once('connect', () => s.write('hello\n'));
    s.once('data', (d) => (String(d) === 'hello\n' ? resolve() : reject(new Error(String(d)))));
    s.once('close', () => reject(new Error('closed before the echo')));
  });
  return s;
}

const closed = (s: Socket) => new Promise<void>((r) => (s.destroyed ? r() : s.once('close', () => r())));

/** r echoes every connection the agent's listeners carry back to it. */
function echoConnections(): void {
  onConnect = (req) => {
    const s = req.accept();
    s.on('error', () => undefined);
    s.on('data', (d: Buffer) => s.write(d));
    s.on('end', () => s.end());
  };
}

test(
  'a reverse connection is listed, and ends when asking again is refused and when listen is taken away',
  { timeout: 60_000 },
  async () => {
    await ok(['peers', 'allow', 'r', 'listen', '--home', home]);
    echoConnections();
    const port = await freePort();
    const id = idOf(0xf5);
    const listening = await askListen(port, id);
    listening.on('error', () => undefined);
    const client = await echoedClient(port);
    const gone = closed(client);
    // Listed where it is served, with the peer it goes to.
    const listed = await until(
      'the connection in `connections`',
      async () => (await connections()).find((c) => c.kind === 'reverse-served'),
      5_000,
    );
    assert.equal(listed.peer?.name, 'r');
    assert.equal(listed.from, `127.0.0.1:${client.localPort}`);
    // The same forward asked again, for an address the agent refuses: the old listener closes "to be
    // replaced"; its connection must not live on outside every check.
    await assert.rejects(askListen(port + 1, id, '0.0.0.0'), /loopback addresses only/);
    await ok(['peers', 'deny', 'r', 'listen', '--home', home]);
    const timeout = sleep(5_000, 'a bound on how long it may stay open').then(() => 'still open');
    assert.equal(await Promise.race([gone.then(() => 'closed'), timeout]), 'closed');
    assert.equal((await connections()).filter((c) => c.kind === 'reverse-served').length, 0);
  },
);

test(
  'a reverse connection waiting for its lost link ends when listen is taken away',
  { timeout: 60_000 },
  async () => {
    await ok(['peers', 'allow', 'r', 'listen', '--home', home]);
    echoConnections();
    const port = await freePort();
    const listening = await askListen(port, idOf(0xf6));
    listening.on('error', () => undefined);
    const client = await echoedClient(port);
    const gone = closed(client);
    // The link goes: the listener closes, the connection waits for r to come back (ADR 0023).
    peer.close();
    await until('the listener to close', () => portFree(port), 10_000);
    assert.equal(client.destroyed, false, 'the connection waits for its peer');
    await ok(['peers', 'deny', 'r', 'listen', '--home', home]);
    const timeout = sleep(5_000, 'a bound on how long it may stay open').then(() => 'still open');
    assert.equal(await Promise.race([gone.then(() => 'closed'), timeout]), 'closed');
    // Back for the tests after this one.
    const status = await cliJson<{ fingerprint: string; listen: string }>(['status', '--home', home]);
    peer = await linkRawPeer(await testIdentity('raw-caps'), status.listen, status.fingerprint);
  },
);

/** Sends `d` to 127.0.0.1:`port` from `s` until a datagram comes back, for at most `ms`. */
async function answered(s: UdpSocket, port: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  let got = false;
  s.on('message', () => (got = true));
  while (!got && Date.now() < deadline) {
    s.send(Buffer.from('real client'), port, '127.0.0.1');
    await sleep(200, 'a datagram every 200 ms until one is answered');
  }
  return got;
}

async function udpSocket(): Promise<UdpSocket> {
  const s = createSocket('udp4');
  s.on('error', () => undefined);
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return s;
}

test(
  'another local user sending from 260 source ports does not lock a UDP forward’s clients out',
  { timeout: 120_000 },
  async () => {
    const pair = await startPair();
    const echo = await udpSocket();
    echo.on('message', (msg, rinfo) => echo.send(msg, rinfo.port, rinfo.address));
    const port = await freePort();
    await ok([
      'forward',
      'add',
      '--udp',
      '--listen',
      String(port),
      '--via',
      'b',
      '--to',
      `127.0.0.1:${echo.address().port}`,
      '--name',
      'u',
      '--home',
      pair.homeA,
    ]);
    // A real client first: the forward works.
    const before = await udpSocket();
    assert.ok(await answered(before, port, 10_000), 'the forward answers');
    before.close();
    // The other user: one datagram from each of 260 source ports, then silence.
    const others: UdpSocket[] = [];
    for (let i = 0; i < 260; i++) others.push(await udpSocket());
    try {
      for (const s of others) s.send(Buffer.from('x'), port, '127.0.0.1');
      await until(
        'the forward to fill',
        async () => {
          const f = (await agentCall(pair.homeA, 'forward.list', {})).find((x) => x.name === 'u');
          return f && f.open >= MAX_UDP_FLOWS_PER_FORWARD;
        },
        20_000,
      );
      // A new real client a little later gets through within 5 s.
      await sleep(1_500, 'a new client a little later');
      const client = await udpSocket();
      assert.ok(await answered(client, port, 5_000), 'a new client is answered');
      client.close();
      const f = (await cliJson<ForwardInfo[]>(['forward', 'list', '--home', pair.homeA])).find(
        (x) => x.name === 'u',
      );
      assert.ok((f?.open ?? 0) <= MAX_UDP_FLOWS_PER_FORWARD, `${f?.open} flows`);
    } finally {
      for (const s of others) s.close();
      echo.close();
    }
  },
);
