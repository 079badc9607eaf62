/**
 * A relay that substitutes a certificate during pairing (issue acceptance): a man-in-the-middle proxy
 * in front of a real relay rewrites the joiner's msg1 or the issuer's msg2 with another node's
 * certificate. Pairing must fail on both sides and store nothing.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { decodeRelayFrame, encodeDataFrame } from '../../src-main/protocol/relay-frames.js';
import {
  decodePairMessage,
  encodeAd,
  encodeMsg1,
  encodeMsg2,
} from '../../src-main/crypto/pairing-messages.js';
import { prefixFreeCat } from '../../src-main/crypto/cpace.js';
import { agentCall, cli, startRelay, stopAll, tempHome, startAgent } from '../helpers/processes.js';
import { testIdentity } from '../helpers/identities.js';
import { until } from '../helpers/wait.js';

after(stopAll);

type Rewrite = (payload: Uint8Array) => Uint8Array;

/** A ws proxy: node ↔ proxy ↔ relay, rewriting DATA payloads in the chosen direction. */
async function startMitm(relayUrl: string, up: Rewrite, down: Rewrite) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise((r) => wss.once('listening', r));
  const rewrite = (data: RawData, fn: Rewrite): Buffer => {
    const buf = data as Buffer;
    try {
      const f = decodeRelayFrame(buf);
      if (f.type === 'data') return Buffer.from(encodeDataFrame(f.circuitId, fn(f.payload)));
    } catch {
      /* not ours to judge */
    }
    return buf;
  };
  wss.on('connection', (client) => {
    const upstream = new WebSocket(relayUrl, { perMessageDeflate: false });
    const queue: Buffer[] = [];
    upstream.on('open', () => queue.splice(0).forEach((m) => upstream.send(m)));
    client.on('message', (m) => {
      const out = rewrite(m, up);
      if (upstream.readyState === WebSocket.OPEN) upstream.send(out);
      else queue.push(out);
    });
    upstream.on('message', (m) => client.readyState === WebSocket.OPEN && client.send(rewrite(m, down)));
    client.on('close', () => upstream.close());
    upstream.on('close', () => client.close());
    client.on('error', () => upstream.terminate());
    upstream.on('error', () => client.terminate());
  });
  const { port } = wss.address() as { port: number };
  return { url: `ws://127.0.0.1:${port}`, close: () => wss.close() };
}

async function substitutedCert(): Promise<Uint8Array> {
  return (await testIdentity('mallory')).certDer;
}

function swapCert(payload: Uint8Array, type: 'msg1' | 'msg2', cert: Uint8Array): Uint8Array {
  let m;
  try {
    m = decodePairMessage(payload);
  } catch {
    return payload;
  }
  if (m.type !== type) return payload;
  const msg = prefixFreeCat(m.Y, encodeAd(cert, m.name));
  return m.type === 'msg1' ? encodeMsg1(m.sid, msg) : encodeMsg2(msg, m.mac);
}

for (const target of ['msg1', 'msg2'] as const) {
  test(`a relay that substitutes the ${target === 'msg1' ? "joiner's" : "issuer's"} certificate makes pairing fail on both sides`, async () => {
    const { proc: relay, url: relayUrl } = await startRelay();
    const cert = await substitutedCert();
    const id = (x: Uint8Array) => x;
    const swap = (p: Uint8Array) => swapCert(p, target, cert);
    // The joiner (B) talks through the proxy; msg1 goes up from B, msg2 comes down to B.
    const mitm = await startMitm(relayUrl, target === 'msg1' ? swap : id, target === 'msg2' ? swap : id);
    const homeA = tempHome('a');
    const homeB = tempHome('b');
    const [a, b] = await Promise.all([
      startAgent(homeA, { name: 'a', relay: relayUrl, listen: false }),
      startAgent(homeB, { name: 'b', relay: mitm.url, listen: false }),
    ]);
    await until(
      'B on the relay',
      async () => (await agentCall(homeB, 'status', {})).relays[0]?.connected,
      30_000,
    );

    // Asked over the control socket, as the commands ask (a CLI process costs ~0.4 s of CPU): the
    // joiner's words are what this test reads, and `pair join` is run.
    const code = await agentCall(homeA, 'pair.new', {});
    const join = await cli(['pair', 'join', code.code, '--home', homeB, '--timeout', '20s']);
    assert.equal(join.code, 1);
    // Progress lines come first (found the other device…); the outcome is the one last line, and the
    // code was never reported as accepted.
    assert.match(
      join.stderr,
      /\nclawbridge: pairing failed: the code was wrong or someone interfered - ask for a new code\n$|^clawbridge: pairing failed: the code was wrong or someone interfered - ask for a new code\n$/,
    );
    assert.doesNotMatch(join.stderr, /code accepted by/);
    await until('issuer reports the failure', () => /pairing with code \S+ failed/.test(a.stderr()), 30_000);
    assert.deepEqual(await agentCall(homeA, 'pending.list', {}), [], 'nothing pending on A');
    assert.deepEqual(await agentCall(homeA, 'peers.list', {}), [], 'no peer on A');
    assert.deepEqual(await agentCall(homeB, 'peers.list', {}), [], 'no peer on B');
    mitm.close();
    await Promise.all([a.stop(), b.stop(), relay.stop()]);
  });
}
