/** Fixtures for UDP forward tests: an exit running the real udp-connect service over an in-memory link, UDP sockets. */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { ServiceRegistry } from '../../../src-main/services/services.js';
import type { PeerRecord } from '../../../src-main/state/settings.js';
import type { StateChange } from '../../../src-main/state/state-changes.js';
import { ClawError } from '../../../src-main/core/errors.js';
import { ExitConnections } from '../../../src-main/forwards/exit-connections.js';
import { UDP_CONNECT_SERVICE } from '../../../src-main/forwards/udp-connect-protocol.js';
import { serveUdpConnect } from '../../../src-main/forwards/udp-connect-service.js';
import { withUdpFlows } from '../../../src-main/forwards/udp-dialer.js';
import { muxPair } from '../mux/mux-fixtures.js';
import { memoryLogger } from './fixtures.js';
import { failTest } from '../../helpers/unawaited.js';

/** Node "a" opening UDP flows through exit "b" over an in-memory mux pair. */
export function udpExit(forwardTo?: string[], opts: { socketBufferBytes?: number } = {}) {
  // The exit's record of "a", which `deny` takes `forward` from; its registry follows the change.
  let record: PeerRecord = {
    fingerprint: 'a'.repeat(64),
    name: 'a',
    allow: ['forward'],
    addresses: [],
    addedAt: '2026-11-21T00:00:00.000Z',
    forwardTo,
  };
  const listeners = new Set<(change: StateChange) => void>();
  const registry = new ServiceRegistry({
    name: () => 'b',
    state: {
      peer: (fp) => (fp === record.fingerprint ? record : undefined),
      subscribe: (l) => (listeners.add(l), () => void listeners.delete(l)),
    },
  });
  const exitLog = memoryLogger();
  const open = new ExitConnections();
  registry.register(UDP_CONNECT_SERVICE, {
    permission: 'forward',
    noun: 'forwards',
    admits: 'connection',
    kind: 'udp-exit',
    handle: (req, served) => {
      serveUdpConnect(
        { name: 'b', log: exitLog.log, limitsFor: () => forwardTo, open, ...opts },
        req,
        served,
      ).catch(failTest('serveUdpConnect'));
    },
  });
  const pair = muxPair({
    b: {
      onStream: (req) =>
        registry.dispatch('b', { fingerprint: 'a'.repeat(64), name: 'a', allow: ['forward'] }, req),
    },
  });
  const dialer = withUdpFlows(
    { connect: () => Promise.reject(new ClawError('INTERNAL', 'no TCP here')) },
    async (peer, args) => {
      if (peer !== 'b') throw new ClawError('PEER_NOT_FOUND', `no peer named '${peer}'`);
      return pair.ma.open(UDP_CONNECT_SERVICE, args);
    },
  );
  const deny = () => {
    const before = record;
    record = { ...record, allow: [] };
    for (const l of listeners) l({ kind: 'peer', id: record.fingerprint, before, after: record });
  };
  return { dialer, exitLog, open, deny, close: () => (registry.stop(), pair.close()) };
}

export async function udpEcho(): Promise<{ socket: UdpSocket; port: number }> {
  const socket = createSocket('udp4');
  socket.on('message', (msg, rinfo) => socket.send(msg, rinfo.port, rinfo.address));
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  return { socket, port: socket.address().port };
}

export async function client(): Promise<UdpSocket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return s;
}

/** Sends `d` to the forward and waits for one datagram back. */
export function roundTrip(s: UdpSocket, port: number, d: Buffer, timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no reply within ${timeoutMs} ms`)), timeoutMs);
    s.once('message', (msg) => {
      clearTimeout(timer);
      resolve(msg);
    });
    s.send(d, port, '127.0.0.1');
  });
}
