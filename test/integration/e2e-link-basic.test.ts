import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ClawError, isClawError } from '../../src-main/core/errors.js';
import { secureCircuit } from '../../src-main/transport/e2e-link.js';
import { MAX_LINK_FRAME } from '../../src-main/transport/link.js';
import { createCircuitPair } from '../helpers/circuit-pair.js';
import { alice, bob, closed, collect, connect, settle, text } from './e2e-link-helpers.js';

describe('secureCircuit', () => {
  it('yields relay Links bound to the proven peers', async () => {
    const { a, b } = await connect({ relayUrl: 'wss://relay.example:443' });
    assert.equal(a.peerId, bob.fingerprint);
    assert.equal(b.peerId, alice.fingerprint);
    assert.deepEqual([a.path, b.path], ['relay', 'relay']);
    assert.deepEqual([a.remote, b.remote], ['wss://relay.example:443', 'wss://relay.example:443']);
    assert.deepEqual([a.initiator, b.initiator], [true, false]);
    a.close();
    b.close();
  });

  it('carries frames both ways, in order, and only ciphertext crosses the relay', async () => {
    const seen: Uint8Array[] = [];
    const { a, b } = await connect({ mitm: (f) => (seen.push(f), [f]) });
    const atB = collect(b);
    const atA = collect(a);
    const frames = Array.from({ length: 500 }, (_, k) => `frame ${k} secret-marker`);
    for (const f of frames) a.send(text(f));
    b.send(text('pong'));
    await settle();
    assert.deepEqual(atB, frames);
    assert.deepEqual(atA, ['pong']);
    assert.ok(!seen.some((f) => Buffer.from(f).includes('secret-marker')), 'relay saw plaintext');
    a.close();
  });

  it('keeps frames that arrive before the owner subscribes', async () => {
    const circuits = createCircuitPair();
    const bPromise = secureCircuit(circuits.responder, { identity: bob, verifyPeer: () => {} });
    const a = await secureCircuit(circuits.initiator, { identity: alice, expectedPeer: bob.fingerprint });
    a.send(text('early 1'));
    a.send(text('early 2'));
    const b = await bPromise;
    await settle(); // the records reach b before anyone listens
    const got = collect(b);
    a.send(text('late'));
    await settle();
    assert.deepEqual(got, ['early 1', 'early 2', 'late']);
    b.close();
  });

  it('passes the circuit’s backpressure through send() and onDrain', async () => {
    const { a, b } = await connect({ highWaterMark: 100_000 });
    const drained = new Promise<void>((resolve) => a.onDrain(resolve));
    const results = Array.from({ length: 4 }, () => a.send(new Uint8Array(60_000)));
    assert.deepEqual(results, [true, false, false, false]);
    await drained;
    assert.equal(a.send(new Uint8Array(10)), true);
    b.close();
  });

  it('updates keys transparently under load', async () => {
    const { a, b } = await connect({}, { rekeyAfterRecords: 5, rekeyAfterBytes: 4096 });
    const atB = collect(b);
    const atA = collect(a);
    const frames = Array.from({ length: 200 }, (_, k) => `${k}:${'x'.repeat(k * 7)}`);
    for (const f of frames) {
      a.send(text(f));
      b.send(text(f));
    }
    await settle();
    assert.deepEqual(atB, frames);
    assert.deepEqual(atA, frames);
    a.close();
  });

  it('closes both ends: local close is clean, the peer learns the reason', async () => {
    const { a, b } = await connect();
    const [aClosed, bClosed] = [closed(a), closed(b)];
    a.close('user hung up');
    assert.equal(await aClosed, undefined);
    const err = await bClosed;
    assert.ok(isClawError(err, 'LINK_CLOSED'), "isClawError(err, 'LINK_CLOSED')");
    assert.match(err.message, /user hung up/);
    assert.equal(a.send(text('after')), false);
    assert.ok(a.closed && b.closed, 'a.closed && b.closed');
  });

  it('refuses frames larger than a Link carries', async () => {
    const { a } = await connect();
    assert.throws(
      () => a.send(new Uint8Array(MAX_LINK_FRAME + 1)),
      (e) => isClawError(e, 'FRAME_TOO_LARGE'),
    );
    assert.equal(a.send(new Uint8Array(MAX_LINK_FRAME)), true);
    a.close();
  });
});

describe('secureCircuit failures', () => {
  it('needs expectedPeer as initiator and verifyPeer as responder', async () => {
    const circuits = createCircuitPair();
    await assert.rejects(secureCircuit(circuits.initiator, { identity: alice }), /needs expectedPeer/);
    assert.ok(circuits.initiator.closed, 'circuits.initiator.closed');
    await assert.rejects(secureCircuit(createCircuitPair().responder, { identity: bob }), (e) =>
      isClawError(e, 'BAD_ARGUMENT'),
    );
  });

  it('times out with a clear line when the peer never answers', async () => {
    const circuits = createCircuitPair({ relayUrl: 'wss://relay.test' });
    await assert.rejects(
      secureCircuit(circuits.initiator, { identity: alice, expectedPeer: bob.fingerprint, timeoutMs: 50 }),
      (e) =>
        isClawError(e, 'TIMEOUT') &&
        /^end-to-end handshake with [0-9a-f]{4}…[0-9a-f]{4} via wss:\/\/relay\.test timed out after 50 ms — the peer may be offline/.test(
          e.message,
        ),
    );
    assert.ok(circuits.initiator.closed, 'circuit closed after the timeout');
  });

  it('reports a circuit that closes mid-handshake', async () => {
    const circuits = createCircuitPair();
    const pending = secureCircuit(circuits.initiator, { identity: alice, expectedPeer: bob.fingerprint });
    circuits.responder.close('relay restarting');
    await assert.rejects(
      pending,
      (e) =>
        isClawError(e, 'HANDSHAKE_FAILED') &&
        /closed during the end-to-end handshake: .*relay restarting/.test(e.message),
    );
  });

  it('propagates a verifyPeer refusal and the initiator’s link then closes with the reason', async () => {
    const circuits = createCircuitPair();
    const refusal = new ClawError('UNKNOWN_PEER', 'unknown peer — approve it on this node first');
    const bSide = secureCircuit(circuits.responder, {
      identity: bob,
      verifyPeer: () => {
        throw refusal;
      },
    });
    const a = await secureCircuit(circuits.initiator, { identity: alice, expectedPeer: bob.fingerprint });
    await assert.rejects(bSide, (e) => e === refusal);
    const err = await closed(a);
    assert.match(err?.message ?? '', /unknown peer — approve it on this node first/);
  });
});
