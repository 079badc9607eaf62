/**
 * What the exit's owner takes away ends open forwarded connections at once: a peer removed, denied
 * `forward`, or limited away from a connection's destination (exit-connections.ts), while connections
 * the new settings still allow carry on.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import { ServiceRegistry } from '../../../src-main/services/services.js';
import type { StateChange } from '../../../src-main/state/state-changes.js';
import type { PeerRecord } from '../../../src-main/state/settings.js';
import { createServer } from 'node:net';
import { tcpConnectDialer } from '../../../src-main/forwards/dialer.js';
import { handleTcpForwardConnection } from '../../../src-main/forwards/tcp-forward.js';
import { registerTcpConnectService } from '../../../src-main/forwards/tcp-connect-service.js';
import { TCP_CONNECT_SERVICE } from '../../../src-main/forwards/tcp-connect-protocol.js';
import { errorOf, muxPair } from '../mux/mux-fixtures.js';
import { echoServer, frontEnd, memoryLogger, RawClient } from './fixtures.js';
import { failTest } from '../../helpers/unawaited.js';

const echo = await echoServer();
after(() => echo.server.close());

const A = 'a'.repeat(64);

/** Exit "b" with its real tcp-connect service and settings the test changes; "a" dials through it. */
function exitWithSettings(initial: PeerRecord) {
  let peers: PeerRecord[] = [initial];
  const listeners = new Set<(change: StateChange) => void>();
  const state = {
    get: () => ({ peers }) as never,
    peer: (fp: string) => peers.find((p) => p.fingerprint === fp),
    subscribe: (l: (change: StateChange) => void) => (listeners.add(l), () => void listeners.delete(l)),
  };
  // The registry follows the settings for every service (services/services.ts).
  const services = new ServiceRegistry({ name: () => 'b', state });
  const { log } = memoryLogger();
  registerTcpConnectService({ name: 'b', log, services, state });
  const pair = muxPair({
    b: {
      onStream: (req) => {
        const record = peers.find((p) => p.fingerprint === A);
        if (!record) return req.reject('REMOVED', 'not a peer');
        services.dispatch('b', { fingerprint: A, name: record.name, allow: record.allow }, req);
      },
    },
  });
  const dialer = tcpConnectDialer(async (_peer, args) => pair.ma.open(TCP_CONNECT_SERVICE, args));
  return {
    dialer,
    connect: async (port: number) => {
      const s = await dialer.connect('b', '127.0.0.1', port);
      s.resume();
      return s;
    },
    /** The owner changes the settings; the node state announces it as it does (one peer change). */
    change(next: PeerRecord[]) {
      const before = peers.find((p) => p.fingerprint === A);
      peers = next;
      const after = peers.find((p) => p.fingerprint === A);
      for (const l of listeners) l({ kind: 'peer', id: A, before, after });
    },
    close: () => (services.stop(), pair.close()),
  };
}

const peer = (over: Partial<PeerRecord> = {}): PeerRecord =>
  ({ fingerprint: A, name: 'a', allow: ['forward', 'terminal'], ...over }) as PeerRecord;

/** The exit's reason, as the opener's stream error carries it after `… was reset by the peer: `. */
function reasonOf(err: Error): string {
  const m = /^tcp-connect stream \d+ was reset by the peer: (.*)$/.exec(err.message);
  assert.ok(m, `not a reset by the peer: ${err.message}`);
  return m[1]!;
}

/** Bytes still go both ways through `s` (an echo server at the far end). */
async function stillEchoes(s: Duplex): Promise<void> {
  const got = new Promise<string>((resolve) => s.once('data', (c: Buffer) => resolve(c.toString())));
  s.write('ping');
  assert.equal(await got, 'ping');
}

test('denying forward resets open connections with the reason; allowing it again lets new ones in', async () => {
  const exit = exitWithSettings(peer());
  const s = await exit.connect(echo.port);
  await stillEchoes(s);
  const gone = errorOf(s);
  exit.change([peer({ allow: ['terminal'] })]);
  assert.equal(
    reasonOf(await gone),
    `b no longer allows forwards from a; the connection to 127.0.0.1:${echo.port} is closed`,
  );
  exit.change([peer()]);
  await stillEchoes(await exit.connect(echo.port));
  exit.close();
});

test('removing the peer resets its open connections', async () => {
  const exit = exitWithSettings(peer());
  const s = await exit.connect(echo.port);
  const gone = errorOf(s);
  exit.change([]);
  assert.equal(reasonOf(await gone), 'b removed this node as a peer; the forwarded connection is closed');
  exit.close();
});

test('new forwardTo limits end only the connections they no longer allow', async () => {
  const other = await echoServer();
  const exit = exitWithSettings(peer());
  const kept = await exit.connect(echo.port);
  const cut = await exit.connect(other.port);
  const gone = errorOf(cut);
  exit.change([peer({ forwardTo: [`127.0.0.1:${echo.port}`] })]);
  assert.equal(
    reasonOf(await gone),
    `b no longer allows forwards from a to 127.0.0.1:${other.port}; the connection is closed`,
  );
  await stillEchoes(kept);
  // A change that leaves the connection allowed (a rename) does not touch it.
  exit.change([peer({ name: 'laptop', forwardTo: [`127.0.0.1:${echo.port}`] })]);
  await stillEchoes(kept);
  exit.close();
  other.server.close();
});

test('a TCP forward whose connection the exit ended tells the user why', async () => {
  const exit = exitWithSettings(peer());
  const fe = frontEnd(exit.dialer, 'web');
  const listener = createServer((socket) => {
    handleTcpForwardConnection(socket, { ...fe.ctx, via: 'b', host: '127.0.0.1', port: echo.port }).catch(
      failTest('handleTcpForwardConnection'),
    );
  });
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', () => r()));
  const client = await RawClient.open((listener.address() as { port: number }).port);
  client.socket.write('hi');
  assert.equal((await client.read(2)).toString(), 'hi');
  exit.change([peer({ allow: ['terminal'] })]);
  await client.readToEnd();
  assert.deepEqual(fe.notices, [
    `forward web: b no longer allows forwards from a; the connection to 127.0.0.1:${echo.port} is closed`,
  ]);
  listener.close();
  exit.close();
});
