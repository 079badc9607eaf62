/**
 * "All your machines" (issue 57, ADR 0056), with real agents on loopback: devices marked mine on
 * both sides introduce each other's other devices, which then link on their own; a removal made on
 * one reaches all of them and an old settings file cannot bring the device back; a peer not marked
 * mine is never introduced, and what it sends is ignored.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { PeerInfo } from '../../src-main/api/contract.js';
import { startLoopbackNode, ok, online, type LoopbackNode } from '../helpers/loopback-nodes.js';
import { agentCall, cli, peerOf, startProcess, stopAll, waitFor } from '../helpers/processes.js';

after(stopAll);

/** The bounded wait the issue names for an introduction or a removal to reach every device. */
const WITHIN_MS = 10_000;

/** `at` and `peer` pair by fingerprint, each marking the other as one of the owner's devices. */
async function pairMine(at: LoopbackNode, peer: LoopbackNode): Promise<void> {
  await ok([
    'peers',
    'add',
    peer.fingerprint,
    '--name',
    peer.name,
    '--address',
    peer.address,
    '--mine',
    '--home',
    at.home,
  ]);
  await ok(['peers', 'add', at.fingerprint, '--name', at.name, '--mine', '--home', peer.home]);
  await online(at, peer.name);
}

async function peers(node: LoopbackNode): Promise<PeerInfo[]> {
  return agentCall(node.home, 'peers.list', {});
}

/** Waits (WITHIN_MS) until `at` lists `fp` as a peer marked mine that is online; returns it. */
async function introduced(at: LoopbackNode, fp: string, what: string): Promise<PeerInfo> {
  return waitFor(
    `${what} on ${at.name}`,
    async () => (await peers(at)).find((p) => p.fingerprint === fp && p.mine && p.state === 'online'),
    WITHIN_MS,
  );
}

test('a–b and b–c marked mine: a and c become peers (mine, introduced by b), link, and ping both ways', async () => {
  const [a, b, c] = await Promise.all([
    startLoopbackNode('a', 'mine1'),
    startLoopbackNode('b', 'mine1'),
    startLoopbackNode('c', 'mine1'),
  ]);
  await pairMine(a, b);
  await pairMine(b, c);
  const cOnA = await introduced(a, c.fingerprint, 'c introduced');
  const aOnC = await introduced(c, a.fingerprint, 'a introduced');
  assert.equal(cOnA.introducedBy, b.fingerprint);
  assert.equal(aOnC.introducedBy, b.fingerprint);
  assert.deepEqual(cOnA.allow, ['terminal', 'forward', 'message'], 'the default for my devices (ADR 0056)');
  await ok(['ping', 'c', '--home', a.home]);
  await ok(['ping', 'a', '--home', c.home]);
  // `peers` says so: the MINE column names who introduced it.
  const listed = await ok(['peers', '--home', a.home]);
  assert.match(listed, /\bc\b.*yes, via b/);
});
