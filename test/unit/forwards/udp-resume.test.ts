/**
 * A UDP flow's stream resumes on the peer's next link (ADR 0023): the exit keeps the flow's socket, so
 * the destination sees the same source port before and after (a WireGuard or DNS peer keeps its
 * mapping), and datagrams come back whole. Datagrams sent while the link is down may be lost (UDP).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import type { ReadonlyPeerEntry } from '../../../src-main/links/ports.js';
import { ServiceRegistry } from '../../../src-main/services/services.js';
import { ClawError } from '../../../src-main/core/errors.js';
import { ExitConnections } from '../../../src-main/forwards/exit-connections.js';
import { StreamResumes } from '../../../src-main/forwards/stream-resumes.js';
import { UDP_CONNECT_SERVICE } from '../../../src-main/forwards/udp-connect-protocol.js';
import { serveUdpConnect } from '../../../src-main/forwards/udp-connect-service.js';
import { agentUdpConnect, withUdpFlows } from '../../../src-main/forwards/udp-dialer.js';
import { listenUdp } from '../../../src-main/forwards/udp-forward.js';
import { muxPair } from '../mux/mux-fixtures.js';
import { memoryLogger } from './fixtures.js';
import { client, roundTrip } from './udp-fixtures.js';
import { failTest } from '../../helpers/unawaited.js';

const FA = 'a'.repeat(64);
const FB = 'b'.repeat(64);

test('a UDP flow survives its link dying: the exit keeps its socket and source port', async () => {
  const registry = new ServiceRegistry();
  const resumes = new StreamResumes(5_000);
  resumes.register(registry);
  const open = new ExitConnections();
  const log = memoryLogger().log;
  registry.register(UDP_CONNECT_SERVICE, {
    permission: 'forward',
    noun: 'forwards',
    admits: 'connection',
    kind: 'udp-exit',
    handle: (req, served) => {
      serveUdpConnect({ name: 'b', log, limitsFor: () => undefined, open, resumes }, req, served).catch(
        failTest('serveUdpConnect'),
      );
    },
  });
  const link = () =>
    muxPair({
      b: {
        onStream: (req) => registry.dispatch('b', { fingerprint: FA, name: 'a', allow: ['forward'] }, req),
      },
    });
  const pairs = [link()];
  const current = () => pairs[pairs.length - 1]!;
  const entry = { fingerprint: FB, record: { name: 'b', fingerprint: FB }, links: { active: {} } };
  const dialer = withUdpFlows(
    { connect: () => Promise.reject(new ClawError('INTERNAL', 'no TCP here')) },
    agentUdpConnect(
      {
        peerEntries: () => [entry as unknown as ReadonlyPeerEntry],
        activePath: () => ({ mux: current().ma, path: 'direct', link: { remote: '127.0.0.1:1' } }) as never,
      },
      5_000,
    ),
  );
  // The destination echoes and notes the source port of every datagram it gets.
  const sources = new Set<number>();
  const echo = createSocket('udp4');
  echo.on('message', (msg, rinfo) => {
    sources.add(rinfo.port);
    echo.send(msg, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => echo.bind(0, '127.0.0.1', () => r()));
  const target = echo.address().port;
  const none = () => undefined;
  const listener = await listenUdp('127.0.0.1', 0, {
    name: 'u',
    log,
    problem: none,
    opened: none,
    via: 'b',
    target: `127.0.0.1:${target}`,
    idleMs: 60_000,
    open: () => dialer.connectUdp!('b', '127.0.0.1', target, 60_000),
    counters: { datagramIn: none, datagramOut: none, dropped: none, flow: none },
  });
  const port = Number(listener.address.split(':').pop());
  const s = await client();
  try {
    const first = Buffer.alloc(1200, 1);
    assert.ok(
      (await roundTrip(s, port, first)).equals(first),
      '(await roundTrip(s, port, first)).equals(first)',
    );
    assert.equal(sources.size, 1);

    pairs.push(link());
    pairs[0]!.a.fail(new ClawError('LINK_CLOSED', 'path died'));
    // Lost while the flow moves: sent again until one comes back, as a UDP application would.
    const second = Buffer.alloc(65_000, 2);
    let back: Buffer | undefined;
    for (let i = 0; i < 20 && !back; i++) back = await roundTrip(s, port, second, 250).catch(() => undefined);
    assert.ok(back?.equals(second), 'a whole datagram came back after the link changed');
    assert.deepEqual([...sources].length, 1, 'the destination saw one source port: the exit kept its socket');
    assert.equal(open.size, 1, 'one flow at the exit');
  } finally {
    s.close();
    echo.close();
    await listener.close();
    for (const p of pairs) p.close();
  }
});
