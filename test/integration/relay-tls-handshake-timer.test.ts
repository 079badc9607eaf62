/**
 * The relay keeps no TLS handshake timer of Node's own per connection (ADR 0061): its acceptor's
 * deadline already bounds a handshake, and Node's 120 s timer, cleared once the handshake was done,
 * stayed on every idle node's socket. A connection that sent its ClientHello and then nothing holds
 * the acceptor's deadline only, and is still closed when that deadline passes.
 */
import { createHook } from 'node:async_hooks';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { testIdentity } from '../helpers/identities.js';
import { catchClientHello, startTestRelay, within } from '../helpers/relay-harness.js';

/** The first bytes a Node TLS client sends (its ClientHello). */
const aClientHello = () =>
  catchClientHello((port) => {
    const client = connectTls({ host: '127.0.0.1', port, rejectUnauthorized: false });
    client.on('error', () => undefined);
    return () => client.destroy();
  });

/** Socket timeouts armed in this process while `run` runs (net.Socket#setTimeout arms a bound callback). */
async function socketTimeoutsArmedDuring(run: () => Promise<void>): Promise<number> {
  const created: { _onTimeout?: { name?: string }; _idleTimeout?: number }[] = [];
  const hook = createHook({
    init(_id, type, _trigger, resource) {
      if (type === 'Timeout') created.push(resource);
    },
  });
  hook.enable();
  try {
    await run();
  } finally {
    hook.disable();
  }
  // Read after the fact: a Timeout's callback is set after its init hook runs. A socket's timeout is a
  // bound function; the acceptor's deadline (authTimeoutMs here) is not.
  return created.filter((t) => t._onTimeout?.name?.startsWith('bound') && t._idleTimeout !== 3_000).length;
}

test('a TLS handshake in progress holds the acceptor deadline only, and is closed at it', async () => {
  const id = await testIdentity('handshake-timer-relay');
  const relay = await startTestRelay({
    tls: { certPem: id.certPem, keyPem: id.keyPem },
    limits: { authTimeoutMs: 3_000 },
  });
  const hello = await aClientHello();
  const sockets: Socket[] = [];
  try {
    const stalled = 5;
    const closed: Promise<void>[] = [];
    const armed = await socketTimeoutsArmedDuring(async () => {
      for (let i = 0; i < stalled; i++) {
        const s = connectTcp((relay as { port: number }).port, '127.0.0.1');
        s.on('error', () => undefined);
        closed.push(new Promise((resolve) => s.once('close', () => resolve())));
        await new Promise((resolve) => s.once('connect', resolve));
        // The ClientHello, then nothing: the relay has answered with its flight and waits for ours.
        const answered = new Promise((resolve) => s.once('data', resolve));
        s.write(hello);
        await within('the relay to answer the ClientHello', answered);
        sockets.push(s);
      }
    });
    // Before ADR 0061 Node's TLS server armed its 120 s handshake timer on each of them.
    assert.equal(armed, 0, `${armed} socket timeouts armed for ${stalled} TLS handshakes`);
    await within('the acceptor to close the stalled handshakes', Promise.all(closed), 10_000);
  } finally {
    for (const s of sockets) s.destroy();
    await relay.close();
  }
});
