/**
 * What a peer can do to a node through the route services (issue 52, F6 and F7; ADR 0017), with real
 * agents on loopback and an attacking peer `x` played by this test process (an identity the agents
 * trust, dialing their direct listeners and speaking the mux itself):
 *
 * - F6: x, allowed `relay` by hop b, opens 1,100 `hop` streams to c naming a valid origin (itself, a
 *   peer of c). b's own terminal on c still opens while they are held.
 * - F7: `hop-arrive` answers the same for a fingerprint c knows and one it does not (no membership
 *   oracle); `hop` answers the same for an unknown next node and an offline peer, and for an unknown
 *   origin and a peer not allowed `relay`, naming neither b's peers nor their addresses.
 * - The route's own user still reads what went wrong: a routed link refused by its last peer (a is not
 *   a peer of c) says so at a, with c named, and comes up once c adds a.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { generateIdentity, type Identity } from '../../src-main/crypto/identity.js';
import { ownHello } from '../../src-main/links/control-service.js';
import { ClawError, refusalOf } from '../../src-main/core/errors.js';
import { Mux } from '../../src-main/mux/mux.js';
import type { MuxStream } from '../../src-main/mux/stream.js';
import { dialDirect } from '../../src-main/transport/direct.js';
import { secureCircuit } from '../../src-main/transport/e2e-link.js';
import { streamCircuit } from '../../src-main/transport/stream-circuit.js';
import { MAX_HOP_PIPES_PER_PREDECESSOR } from '../../src-main/routes/hop-service.js';
import { cli, peerOf, stopAll } from '../helpers/processes.js';
import { addPeer, ok, online, startLoopbackNode, type LoopbackNode } from '../helpers/loopback-nodes.js';
import { freePort } from '../helpers/ports.js';
import { sleep, until } from '../helpers/wait.js';

after(stopAll);

/** x's link to `node`, hello said, as any peer's. */
async function dialAs(x: Identity, node: LoopbackNode): Promise<Mux> {
  const link = await dialDirect({ identity: x, address: node.address, expectedPeer: node.fingerprint });
  const mux = new Mux(link, {
    onStream: (req) => {
      if (req.service !== 'control') return req.reject('UNKNOWN_SERVICE', 'no');
      const s = req.accept();
      s.on('error', () => undefined);
      s.resume();
    },
  });
  const control = await mux.open('control', ownHello('x', [], undefined));
  control.on('error', () => undefined);
  control.resume();
  return mux;
}

/** How the node answered an OPEN: accepted, or refused with a code and a reason. */
type Answer = { accepted: true; stream: MuxStream } | { accepted: false; code?: string; reason: string };

async function answer(mux: Mux, service: string, args: unknown): Promise<Answer> {
  try {
    const stream = await mux.open(service, args, { timeoutMs: 20_000 });
    stream.on('error', () => undefined);
    return { accepted: true, stream };
  } catch (err) {
    return { accepted: false, code: refusalOf(err), reason: (err as Error).message };
  }
}

/**
 * What a peer learns from `hop-arrive {from}`: the answer to the OPEN and, when accepted, how the
 * stream ends after it runs the E2E handshake as itself (it holds no other key).
 */
async function arriveOutcome(x: Identity, mux: Mux, target: LoopbackNode, from: string): Promise<unknown> {
  const a = await answer(mux, 'hop-arrive', { v: 1, from });
  if (!a.accepted) return { accepted: false, code: a.code, reason: a.reason };
  const circuit = streamCircuit(a.stream, {
    peerId: target.fingerprint,
    remote: 'test',
    initiator: true,
    maxFrame: 70_000,
  });
  const ended = new Promise<Error | undefined>((resolve) => circuit.onClose(resolve));
  const link = await secureCircuit(circuit, {
    identity: x,
    expectedPeer: target.fingerprint,
    timeoutMs: 15_000,
    path: 'route',
  }).catch((err: Error) => err);
  const err = await Promise.race([
    ended,
    sleep(5_000, 'a circuit the target did not end within this window is still open').then(
      () => 'still open',
    ),
  ]);
  if (!(link instanceof Error)) link.close('done');
  a.stream.destroy();
  return {
    accepted: true,
    handshake: link instanceof Error ? 'failed' : 'done',
    end: err instanceof ClawError ? { code: err.refusal, reason: err.peerReason } : String(err),
  };
}

/** A refusal without its varying parts, for comparing two answers. */
function shape(a: Answer): unknown {
  return a.accepted ? 'accepted' : { code: a.code, reason: a.reason };
}

test('1,100 hop streams from a peer allowed relay leave the hop its own terminal on the next node', async () => {
  const [b, c] = await Promise.all([startLoopbackNode('b', 'hopx'), startLoopbackNode('c', 'hopx')]);
  const x = await generateIdentity('x');
  await addPeer(b, c, 'terminal', true);
  await addPeer(b, { name: 'x', fingerprint: x.fingerprint }, 'relay');
  await addPeer(c, b, 'terminal', true);
  await addPeer(c, { name: 'x', fingerprint: x.fingerprint }, 'none');
  await online(b, 'c');
  const before = await cli(['term', 'c', '--home', b.home, '--', 'sh', '-c', 'echo before']);
  assert.equal(before.code, 0, before.stderr);

  const mux = await dialAs(x, b);
  // A valid request (x is a peer of c, and b relays for x), 1,100 times at once; each accepted one is held.
  const args = { v: 1, origin: x.fingerprint, to: c.fingerprint, then: [] };
  const answers = await Promise.all(Array.from({ length: 1100 }, () => answer(mux, 'hop', args)));
  const held = answers.filter((a) => a.accepted);
  const refusals = new Set(answers.flatMap((a) => (a.accepted ? [] : [`${a.code}: ${a.reason}`])));
  console.log(`# ${held.length} of 1100 hop streams accepted; refusals: ${[...refusals].join(' | ')}`);

  // While x holds them, b's owner opens a terminal on c as always.
  const term = await cli(['term', 'c', '--home', b.home, '--', 'sh', '-c', 'echo still-mine']);
  assert.equal(term.code, 0, `b's own terminal on c: ${term.stderr}`);
  assert.match(term.stdout, /still-mine/);
  assert.ok(
    held.length <= MAX_HOP_PIPES_PER_PREDECESSOR,
    `${held.length} hop streams accepted for one predecessor`,
  );
  assert.ok(
    held.every((a) => a.accepted && !a.stream.destroyed),
    'the held streams were still open',
  );
  mux.close('test done');
});

test('the route services answer the same whatever the hop knows, and name none of its peers', async () => {
  const [b, c] = await Promise.all([startLoopbackNode('b2', 'hopx'), startLoopbackNode('c2', 'hopx')]);
  const x = await generateIdentity('x2');
  const dora = await generateIdentity('dora');
  const doraAddress = `127.0.0.1:${await freePort()}`;
  const unknown = randomBytes(32).toString('hex');
  await addPeer(b, c, 'terminal', true);
  await addPeer(b, { name: 'x2', fingerprint: x.fingerprint }, 'relay');
  // A peer of b that is offline (nothing listens at its address) and is not allowed relay.
  await addPeer(b, { name: 'dora-the-secret-name', fingerprint: dora.fingerprint }, 'terminal', doraAddress);
  await addPeer(c, b, 'terminal', true);
  await addPeer(c, { name: 'x2', fingerprint: x.fingerprint }, 'none');
  await online(b, 'c2');

  // hop-arrive on c: a fingerprint c knows (b) and one it does not get the same answer.
  const toC = await dialAs(x, c);
  const known = await arriveOutcome(x, toC, c, b.fingerprint);
  const stranger = await arriveOutcome(x, toC, c, unknown);
  assert.deepEqual(known, stranger, 'hop-arrive told a known fingerprint from an unknown one');
  toC.close('test done');

  // hop on b (x may relay there): an unknown next node and an offline peer look the same.
  const toB = await dialAs(x, b);
  const next = (to: string) => answer(toB, 'hop', { v: 1, origin: x.fingerprint, to, then: [] });
  const [nextUnknown, nextOffline] = [await next(unknown), await next(dora.fingerprint)];
  assert.deepEqual(
    shape(nextUnknown),
    shape(nextOffline),
    'hop told an unknown next node from an offline peer',
  );
  // An unknown origin and a peer not allowed relay look the same.
  const origin = (from: string) => answer(toB, 'hop', { v: 1, origin: from, to: c.fingerprint, then: [] });
  const [originUnknown, originDenied] = [await origin(unknown), await origin(dora.fingerprint)];
  assert.deepEqual(shape(originUnknown), shape(originDenied), 'hop told an unknown origin from a peer');
  for (const a of [nextUnknown, nextOffline, originUnknown, originDenied]) {
    assert.equal(a.accepted, false);
    const reason = a.accepted ? '' : a.reason;
    for (const secret of [
      'dora',
      doraAddress,
      doraAddress.split(':')[1]!,
      'b2',
      unknown.slice(0, 8),
      dora.fingerprint.slice(0, 8),
    ])
      assert.ok(!reason.includes(secret), `hop's refusal "${reason}" names ${secret}`);
  }
  toB.close('test done');
});

test("a route's own user reads why its last peer refused it, with that peer named", async () => {
  const [a, b, c] = await Promise.all([
    startLoopbackNode('a3', 'hopx'),
    startLoopbackNode('b3', 'hopx'),
    startLoopbackNode('c3', 'hopx'),
  ]);
  await addPeer(a, b, 'terminal', true);
  await addPeer(a, c, 'terminal');
  await addPeer(b, a, 'relay');
  await addPeer(b, c, 'terminal', true);
  await addPeer(c, b, 'terminal', true);
  await ok(['peers', 'route', 'c3', '--via', 'b3', '--home', a.home]);
  // c does not know a: the route's end refuses it, after the handshake that proves who a is.
  const refused = await until(
    'a told why c3 refused',
    async () => {
      const p = await peerOf(a.home, 'c3');
      return p?.state !== 'online' && /c3 refused: .*not a peer/.test(p?.stateDetail ?? '') && p;
    },
    30_000,
  ).catch(async (err: Error) => {
    throw new Error(`${err.message}: ${JSON.stringify(await peerOf(a.home, 'c3'))}`);
  });
  assert.doesNotMatch(refused.stateDetail!, /hop b3/);
  await addPeer(c, a, 'terminal');
  await ok(['peers', 'route', 'c3', '--via', 'b3', '--home', a.home]); // dial now, not after the backoff
  await online(a, 'c3');
  const term = await cli(['term', 'c3', '--home', a.home, '--', 'sh', '-c', 'echo through-b']);
  assert.equal(term.code, 0, term.stderr);
  assert.match(term.stdout, /through-b/);
});
