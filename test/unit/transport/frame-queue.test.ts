import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameQueue, HeldCircuit } from '../../../src-main/transport/frame-queue.js';
import { isClawError } from '../../../src-main/core/errors.js';
import { createCircuitPair } from '../../helpers/circuit-pair.js';

const text = (f: Uint8Array) => Buffer.from(f).toString();
const tick = () => new Promise((r) => setImmediate(r));

test('HeldCircuit: peeking the first frame consumes nothing; the owner later sees every frame in order', async () => {
  const { initiator, responder } = createCircuitPair();
  const held = new HeldCircuit(responder);
  initiator.send(Buffer.from('one'));
  initiator.send(Buffer.from('two'));
  assert.equal(text(await held.first(1000)), 'one');
  initiator.send(Buffer.from('three')); // arrives after the peek, before anyone listens
  await tick();
  const got: string[] = [];
  held.onFrame((f) => got.push(text(f)));
  initiator.send(Buffer.from('four'));
  await tick();
  await tick();
  assert.deepEqual(got, ['one', 'two', 'three', 'four']);
});

test('HeldCircuit.first fails when the circuit closes or stays silent', async () => {
  const a = createCircuitPair();
  const held = new HeldCircuit(a.responder);
  const pending = held.first(1000);
  a.initiator.close('bye');
  await assert.rejects(pending);
  const b = createCircuitPair();
  await assert.rejects(new HeldCircuit(b.responder).first(20), (e) => isClawError(e, 'TIMEOUT'));
});

test('FrameQueue hands out frames one at a time, keeps early ones, and times out naming what it waited for', async () => {
  const { initiator, responder } = createCircuitPair();
  const q = new FrameQueue(responder);
  initiator.send(Buffer.from('early'));
  await tick();
  assert.equal(text(await q.next(1000, 'x')), 'early');
  const later = q.next(1000, 'x');
  initiator.send(Buffer.from('later'));
  assert.equal(text(await later), 'later');
  await assert.rejects(q.next(20, 'the answer'), /timed out waiting for the answer/);
  initiator.close();
  await tick();
  await assert.rejects(q.next(1000, 'x'), (e) => isClawError(e));
});
