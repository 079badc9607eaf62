/**
 * Saved routes (ADR 0017): the rules a route must keep (routes.ts), the store that saves it only when it
 * keeps them (node-state.ts setRoute), and the `hop` wire (hop-wire.ts): arguments checked at the
 * boundary, and refusals passed up the chain so the origin names the hop that failed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_ROUTE_HOPS, routeProblem, routeText } from '../../../src-main/core/routes.js';
import {
  describeRouteFailure,
  formatHopFailure,
  parseArriveArgs,
  parseHopArgs,
  parseHopFailure,
  passedUp,
  HOP_WORDS,
} from '../../../src-main/protocol/hop-wire.js';
import type { PeerRecord } from '../../../src-main/state/settings.js';
import { memoryState } from '../../helpers/memory-state.js';
import { isClawError } from '../../../src-main/core/errors.js';

const fp = (n: number) => n.toString(16).padStart(64, '0');
const peer = (n: number, name = `p${n}`): PeerRecord => ({
  fingerprint: fp(n),
  name,
  allow: ['terminal'],
  addresses: [],
  addedAt: '2026-11-21T00:00:00.000Z',
});
const peers = [peer(1, 'b'), peer(2, 'c'), peer(3, 'd'), peer(4, 'e'), peer(5, 'f'), peer(6, 'g')];

test('routeProblem: a valid route passes; each broken rule is one line', () => {
  assert.equal(routeProblem(fp(3), [fp(1), fp(2)], peers, fp(99)), undefined);
  assert.equal(routeProblem(fp(3), [fp(1), fp(2), fp(4), fp(5)], peers), undefined);
  assert.match(routeProblem(fp(7), [fp(1)], peers)!, /^no peer 0+/);
  assert.match(routeProblem(fp(3), [], peers)!, /at least one hop/);
  assert.equal(
    routeProblem(fp(3), [fp(1), fp(2), fp(4), fp(5), fp(6)], peers),
    `a route has at most ${MAX_ROUTE_HOPS} hops; 5 given`,
  );
  assert.match(routeProblem(fp(3), [fp(99)], peers, fp(99))!, /this node cannot be a hop/);
  assert.equal(routeProblem(fp(3), [fp(1), fp(3)], peers), 'd cannot be a hop on the way to itself');
  assert.match(routeProblem(fp(3), [fp(8)], peers)!, /is not a peer here/);
  assert.equal(routeProblem(fp(3), [fp(1), fp(2), fp(1)], peers), 'hop b comes twice: a route may not loop');
  assert.equal(
    routeText([fp(1), fp(8)], (f) => peers.find((p) => p.fingerprint === f)?.name),
    'b → 0000…0008',
  );
});

test('NodeState.setRoute saves a valid route, clears it, and saves nothing when refused', () => {
  const { state, backing } = memoryState({ peers });
  state.setRoute(fp(3), [fp(1), fp(2)]);
  assert.deepEqual(state.peer(fp(3))?.route, [fp(1), fp(2)]);
  const writes = backing.writes;
  assert.throws(
    () => state.setRoute(fp(3), [fp(1), fp(2), fp(4), fp(5), fp(6)]),
    (err: unknown) => isClawError(err, 'BAD_ARGUMENT') && /at most 4 hops/.test(err.message),
  );
  assert.throws(() => state.setRoute(fp(3), [fp(2), fp(2)]), /comes twice/);
  assert.equal(backing.writes, writes, 'a refused route writes nothing');
  assert.deepEqual(state.peer(fp(3))?.route, [fp(1), fp(2)]);
  state.setRoute(fp(3), undefined);
  assert.equal(state.peer(fp(3))?.route, undefined);
  assert.equal('route' in state.peer(fp(3))!, false);
  assert.throws(
    () => state.setRoute(fp(9), [fp(1)]),
    (err: unknown) => isClawError(err, 'PEER_NOT_FOUND'),
  );
});

test('the settings schema refuses a saved route that is too long or not fingerprints', () => {
  assert.throws(() => memoryState({ peers: [{ ...peer(1), route: ['b'] }] }));
  assert.throws(() => memoryState({ peers: [{ ...peer(1), route: [1, 2, 3, 4, 5].map(fp) }] }));
  assert.throws(() => memoryState({ peers: [{ ...peer(1), route: [] }] }));
});

test('parseHopArgs: well-formed requests pass; names twice, long chains and extra keys are refused', () => {
  const ok = { v: 1, origin: fp(1), to: fp(2), then: [fp(3)] };
  assert.deepEqual(parseHopArgs(ok), ok);
  const problem = (raw: unknown) => {
    const r = parseHopArgs(raw);
    return 'problem' in r ? r.problem : undefined;
  };
  assert.match(problem({ ...ok, then: [fp(1)] })!, /may not name a node twice/);
  assert.match(problem({ ...ok, then: [fp(3), fp(4), fp(5), fp(6)] })!, /^bad hop request: then/);
  assert.match(problem({ ...ok, extra: true })!, /^bad hop request/);
  assert.match(problem({ ...ok, to: 'B' })!, /^bad hop request: to: a fingerprint is 64 lowercase hex/);
  assert.deepEqual(parseArriveArgs({ v: 1, from: fp(1) }), { v: 1, from: fp(1) });
  assert.ok(
    'problem' in parseArriveArgs({ v: 2, from: fp(1) }),
    "'problem' in parseArriveArgs({ v: 2, from: fp(1) })",
  );
});

test('property: any junk as hop or hop-arrive arguments is refused with a line, never thrown (10k runs)', () => {
  fc.assert(
    fc.property(fc.anything(), (raw) => {
      for (const parse of [parseHopArgs, parseArriveArgs]) {
        const r = parse(raw);
        if ('problem' in r) {
          assert.equal(typeof r.problem, 'string');
          assert.ok(!r.problem.includes('\n'), "!r.problem.includes('\\n')");
        }
      }
    }),
    { numRuns: 10_000 },
  );
  // And every well-formed request survives parsing unchanged.
  const fpArb = fc.stringMatching(/^[0-9a-f]{64}$/);
  fc.assert(
    fc.property(
      fc.uniqueArray(fpArb, { minLength: 2, maxLength: MAX_ROUTE_HOPS + 1 }),
      ([origin, to, ...then]) => {
        const args = { v: 1, origin: origin!, to: to!, then };
        assert.deepEqual(parseHopArgs(args), args);
      },
    ),
    { numRuns: 10_000 },
  );
});

test('a refusal passed up the chain names the hop that failed, as the origin knows it', () => {
  const nodes = ['b', 'c', 'd'];
  // b itself refused a (the registry's permission line, about a itself): told as it is.
  assert.equal(
    describeRouteFailure(
      nodes,
      'a',
      'PERMISSION_DENIED',
      'permission denied: b does not allow relaying from a (its owner can run `clawbridge peers allow a relay` there)',
    ),
    'hop b refused: permission denied: b does not allow relaying from a (its owner can run `clawbridge peers allow a relay` there)',
  );
  // c refused b (its registry's line names c and its name for b); b passes it up in its own words.
  const fromC = passedUp('permission denied: c does not allow relaying from b', 'PERMISSION_DENIED');
  assert.equal(fromC, `hop:1:refused:${HOP_WORDS.predecessor}`);
  assert.equal(
    describeRouteFailure(nodes, 'a', 'PERMISSION_DENIED', fromC),
    'hop c refused: permission denied: c does not relay for b (its owner can run `clawbridge peers allow b relay` on c)',
  );
  // c does not relay for the origin (unknown there, or not allowed: one answer).
  assert.equal(
    describeRouteFailure(nodes, 'a', 'PERMISSION_DENIED', passedUp(HOP_WORDS.origin, 'PERMISSION_DENIED')),
    "hop c refused: permission denied: c does not relay for a, the route's origin (its owner can run `clawbridge peers allow a relay` on c)",
  );
  // b could not reach c (whatever b knew of c: its name, its address, that it is a peer).
  const cDown = formatHopFailure({ depth: 1, kind: 'unreachable', message: HOP_WORDS.next });
  assert.equal(
    describeRouteFailure(nodes, 'a', 'SERVICE_FAILED', cDown),
    'hop c unreachable from b: b has no link to c (offline, or not a peer of b)',
  );
  // c could not reach d, passed up by b; what c said about d goes no further than b.
  const dDown = passedUp(
    formatHopFailure({ depth: 1, kind: 'unreachable', message: 'peer dora at 10.0.0.7 is offline' }),
  );
  assert.deepEqual(parseHopFailure(dDown), { depth: 2, kind: 'unreachable', message: HOP_WORDS.next });
  assert.equal(
    describeRouteFailure(nodes, 'a', 'SERVICE_FAILED', dDown),
    'd unreachable from c: c has no link to d (offline, or not a peer of c)',
  );
  // d refused a after the handshake (a is not its peer), passed up by c and b.
  const dNo = passedUp(passedUp(HOP_WORDS.notPeer, 'PERMISSION_DENIED'), 'PERMISSION_DENIED');
  assert.equal(
    describeRouteFailure(nodes, 'a', 'PERMISSION_DENIED', dNo),
    "d refused: a is not a peer of d: only peers link through routes (d's owner can add a with `clawbridge peers add`)",
  );
  // Any other words from further on are replaced by the words for their code.
  assert.equal(parseHopFailure(passedUp('c2 has no peer 7d73…', 'TOO_MANY_STREAMS')).message, HOP_WORDS.busy);
  assert.equal(
    describeRouteFailure(nodes, 'a', 'SERVICE_FAILED', passedUp('secret', 'SERVICE_FAILED')),
    'hop c refused (SERVICE_FAILED)',
  );
  // A depth beyond the route (a confused hop) still names a node of it.
  assert.match(describeRouteFailure(nodes, 'a', undefined, 'hop:9:refused:x'), /^d refused: x$/);
});
