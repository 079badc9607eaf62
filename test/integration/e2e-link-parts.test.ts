/**
 * The copy-saving paths of the E2E Link: `sendParts` (the mux hands a DATA frame's header and payload
 * separately) and sealing into the relay circuit's headroom (`FramingCircuit`). Both must deliver
 * exactly the frame `send` would, and never hold on to a buffer the caller reuses afterwards.
 */
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { isClawError } from '../../src-main/core/errors.js';
import { Mux, type MuxStream } from '../../src-main/mux/mux.js';
import type { PartsLink } from '../../src-main/transport/link.js';
import type { RelayServer } from '../../src-main/relay/server.js';
import { secureCircuit } from '../../src-main/transport/e2e-link.js';
import { MAX_LINK_FRAME, type Link } from '../../src-main/transport/link.js';
import { isFramingCircuit } from '../../src-main/transport/relay-circuit.js';
import type { RelayClient } from '../../src-main/transport/relay-client.js';
import { testIdentity } from '../helpers/identities.js';
import { connectedClient, nextIncoming, startTestRelay } from '../helpers/relay-harness.js';
import { readAll, sendReusingOneBuffer } from '../helpers/stream-bytes.js';
import { collect, connect, settle, text } from './e2e-link-helpers.js';

const parts = (link: Link) => link as Link & PartsLink;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('E2E Link sendParts', () => {
  it('delivers head ‖ body as one frame, in order with send()', async () => {
    const { a, b } = await connect();
    const atB = collect(b);
    assert.equal(parts(a).sendParts(text('hea'), text('d and body')), true);
    a.send(text('plain'));
    parts(a).sendParts(new Uint8Array(0), text('no head'));
    await settle();
    assert.deepEqual(atB, ['head and body', 'plain', 'no head']);
    a.close();
  });

  it('refuses more than a Link frame in total, and sends nothing after close', async () => {
    const { a, b } = await connect();
    assert.throws(
      () => parts(a).sendParts(new Uint8Array(6), new Uint8Array(MAX_LINK_FRAME - 5)),
      (e) => isClawError(e, 'FRAME_TOO_LARGE'),
    );
    assert.equal(parts(a).sendParts(new Uint8Array(6), new Uint8Array(MAX_LINK_FRAME - 6)), true);
    a.close();
    assert.equal(parts(a).sendParts(text('x'), text('y')), false);
    b.close();
  });

  it('a mux over it delivers exact bytes even when the writer reuses its buffer after each write', async () => {
    const { a, b } = await connect({ highWaterMark: 256 * 1024 });
    let accepted!: MuxStream;
    const ma = new Mux(a);
    const mb = new Mux(b, { onStream: (req) => (accepted = req.accept()) });
    const s = await ma.open('upload', {});
    const body = randomBytes(3 * 1024 * 1024 + 17);
    const got = readAll(accepted);
    const back = readAll(s);
    await sendReusingOneBuffer(s, body, 100_000);
    accepted.end();
    assert.equal(sha(await got), sha(body));
    assert.equal((await back).length, 0);
    ma.close();
    mb.close();
  });
});

describe('E2E Link over a real relay circuit (sealed into the circuit headroom)', () => {
  let relay: RelayServer;
  const clients: RelayClient[] = [];
  before(async () => {
    relay = await startTestRelay();
  });
  after(async () => {
    for (const c of clients) c.stop();
    await relay.close();
  });

  it('moves megabytes both ways through a mux, byte-exact', { timeout: 30_000 }, async () => {
    const [x, y] = await Promise.all([testIdentity('parts-x'), testIdentity('parts-y')]);
    const cx = await connectedClient(relay.url, x);
    const cy = await connectedClient(relay.url, y);
    clients.push(cx, cy);
    const incoming = nextIncoming(cy);
    const out = await cx.openCircuit(y.fingerprint);
    assert.ok(isFramingCircuit(out), 'a relay circuit offers sendFramed');
    const [lx, ly] = await Promise.all([
      secureCircuit(out, { identity: x, expectedPeer: y.fingerprint }),
      incoming.then((c) => secureCircuit(c, { identity: y, verifyPeer: () => undefined })),
    ]);
    let accepted!: MuxStream;
    const mx = new Mux(lx);
    const my = new Mux(ly, { onStream: (req) => (accepted = req.accept()) });
    const s = await mx.open('echo', {});
    const up = randomBytes(5 * 1024 * 1024 + 3);
    const down = randomBytes(2 * 1024 * 1024 + 1);
    const atY = readAll(accepted);
    const atX = readAll(s);
    await Promise.all([sendReusingOneBuffer(s, up, 64 * 1024), sendReusingOneBuffer(accepted, down, 50_000)]);
    assert.equal(sha(await atY), sha(up));
    assert.equal(sha(await atX), sha(down));
    mx.close();
    my.close();
  });
});
