/**
 * Approvals with fakes for everything it uses (ApprovalsDeps): the owner's decisions, without an agent,
 * a network or a settings file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Approvals } from '../../../src-main/pairing/approvals.js';
import type { Decision } from '../../../src-main/pairing/approvals.js';
import type { PeerRecord, Settings } from '../../../src-main/state/settings.js';
import type { NodeState } from '../../../src-main/state/node-state.js';
import { memoryState } from '../../helpers/memory-state.js';
import { isClawError } from '../../../src-main/core/errors.js';
import type { Hello } from '../../../src-main/links/control-service.js';
import type { Link } from '../../../src-main/transport/link.js';

const fp = (n: number) => n.toString(16).padStart(64, '0');

function setup(
  initial: Partial<Settings> = {},
  refusal?: (fingerprint: string) => string | undefined,
  guest?: (fingerprint: string) => string | undefined,
) {
  const { state: trust } = memoryState({ name: 'home', ...initial });
  // The peers the store gained: the links follow these (peer-link-set.ts), so they are what "tracked" means.
  const tracked: PeerRecord[] = [];
  trust.subscribe((c) => {
    if (c.kind === 'peer' && c.after) tracked.push(c.after);
  });
  const notices: string[] = [];
  const decisions: Decision[] = [];
  let changes = 0;
  const approvals = new Approvals({
    log: pino({ level: 'silent' }),
    state: trust,
    notifier: { changed: () => void changes++, notice: (n) => void notices.push(n.message) },
    ...(refusal ? { refusal } : {}),
    ...(guest ? { guest } : {}),
  });
  approvals.events.on('decision', (d) => decisions.push(d));
  return { approvals, trust, tracked, notices, decisions, changes: () => changes };
}

const request = (n: number, via: 'code' | 'fingerprint') => ({
  fingerprint: fp(n),
  name: `n${n}`,
  via,
  address: `10.0.0.${n}:7475`,
  addresses: [`10.0.0.${n}:7475`],
});

test('a new request is saved, announced once, and a repeat refreshes it', () => {
  const { approvals, notices } = setup();
  const first = approvals.record(request(1, 'code'));
  const again = approvals.record(request(1, 'code'));
  assert.equal(again.id, first.id);
  assert.equal(approvals.list().length, 1);
  assert.equal(notices.length, 1);
  assert.match(notices[0]!, /^n1 \(0000…0001\) asks to pair via code/);
});

test('a fingerprint-only request its code then verifies is announced again, via code; a repeat is not', () => {
  const { approvals, notices } = setup();
  approvals.record(request(3, 'fingerprint'));
  approvals.record(request(3, 'code'));
  approvals.record(request(3, 'fingerprint'));
  approvals.record(request(3, 'code'));
  assert.equal(approvals.list().length, 1, 'one request');
  assert.equal(approvals.list()[0]?.via, 'code', 'verified by the code');
  assert.deepEqual(
    notices.map((n) => n.replace(/: .*/, '')),
    ['n3 (0000…0003) asks to pair via fingerprint', 'n3 (0000…0003) asks to pair via code'],
    'told once per kind, in the order they came',
  );
});

test('approve --latest makes the newest code-verified request a peer, tracked at once', () => {
  const { approvals, trust, tracked, decisions } = setup();
  approvals.record(request(1, 'code'));
  approvals.record(request(2, 'fingerprint'));
  const peer = approvals.approve({ latest: true }, ['terminal']);
  assert.equal(peer.fingerprint, fp(1));
  assert.deepEqual(peer.addresses, [{ address: '10.0.0.1:7475', from: ['hello'] }]);
  assert.deepEqual(
    tracked.map((p) => p.fingerprint),
    [fp(1)],
  );
  assert.deepEqual(
    trust.peers().map((p) => p.fingerprint),
    [fp(1)],
  );
  assert.deepEqual(
    approvals.list().map((p) => p.fingerprint),
    [fp(2)],
    'the fingerprint-only request is never the latest',
  );
  assert.equal(decisions[0]?.approved, true);
});

test('a fingerprint-only request needs the compared fingerprint, and the right one', () => {
  const { approvals, trust } = setup();
  const req = approvals.record(request(3, 'fingerprint'));
  assert.throws(
    () => approvals.approve({ id: req.id }, []),
    (err) => isClawError(err, 'BAD_ARGUMENT') && /only a fingerprint/.test(err.message),
  );
  assert.throws(
    () => approvals.approve({ id: req.id, fingerprint: fp(4) }, []),
    (err) => isClawError(err, 'FINGERPRINT_MISMATCH'),
  );
  assert.equal(trust.peers().length, 0, 'nothing was approved');
  approvals.approve({ id: req.id, fingerprint: fp(3).toUpperCase() }, []);
  assert.ok(trust.peer(fp(3)), 'trust.peer(fp(3))');
});

test('an approved name that another peer has gets a suffix', () => {
  const taken: PeerRecord = {
    fingerprint: fp(9),
    name: 'n1',
    allow: [],
    addresses: [],
    addedAt: '2026-11-21T00:00:00.000Z',
  };
  const { approvals } = setup({ peers: [taken] });
  approvals.record(request(1, 'code'));
  assert.equal(approvals.approve({ latest: true }, []).name, 'n1-2');
});

test('reject blocks the node: its next fingerprint-only hello is refused, a code lets it back', () => {
  const { approvals, trust, decisions, changes } = setup();
  const req = approvals.record(request(5, 'fingerprint'));
  approvals.reject({ id: req.id });
  assert.equal(decisions[0]?.approved, false);
  assert.equal(trust.isBlocked(fp(5)), true);
  assert.equal(approvals.list().length, 0);
  assert.throws(
    () => approvals.record(request(5, 'fingerprint')),
    (err) => isClawError(err, 'UNKNOWN_PEER') && /was removed by home/.test(err.message),
  );
  approvals.record(request(5, 'code'));
  assert.equal(trust.isBlocked(fp(5)), false);
  assert.ok(changes() >= 3, 'changes() >= 3');
});

test('a node a domain removed and told so: its fingerprint-only hello is refused as removed, its code is heard', () => {
  const removed = (f: string) => (f === fp(6) ? 'node 0000…0006 was removed from group lab' : undefined);
  const { approvals, notices } = setup({}, removed);
  assert.throws(
    () => approvals.record(request(6, 'fingerprint')),
    (err) =>
      isClawError(err, 'UNKNOWN_PEER') &&
      err.refusal === 'REMOVED' &&
      /removed from group lab/.test(err.message),
    "refused with the domain's words, as a removal",
  );
  assert.deepEqual([approvals.list(), notices], [[], []], 'no request, no notice for the owner');
  assert.equal(approvals.record(request(7, 'fingerprint')).via, 'fingerprint', 'another node is heard');
  assert.equal(approvals.record(request(6, 'code')).via, 'code', 'a code from the owner is heard');
});

test("a node let in as a guest, or that comes as one, is no stranger: no request by fingerprint is kept of it, before or after; a code's stays", () => {
  const guests = new Set<string>();
  const { approvals, notices } = setup({}, undefined, (f) => (guests.has(f) ? 'group lab' : undefined));
  // Before: a member's device knocked on the group's device before the group's records came there.
  approvals.record(request(8, 'fingerprint'));
  approvals.record(request(9, 'code'));
  approvals.record(request(10, 'fingerprint'));
  guests.add(fp(8));
  guests.add(fp(9));
  approvals.dropGuestRequests();
  assert.deepEqual(
    approvals.list().map((r) => r.name),
    ['n9', 'n10'],
    "the guest's request by fingerprint went; a code's (the owner's own) and a stranger's stay",
  );
  // After: its hello on a link that came up before it was let in keeps no request, and says why.
  const link = { peerId: fp(8), remote: '10.0.0.8:7475' } as Link;
  const answer = approvals.onUnknownHello(link, { name: 'n8', addresses: [] } as unknown as Hello);
  assert.match(answer, /^home lets this node in \(group lab\); it links again/);
  assert.ok(!approvals.list().some((r) => r.fingerprint === fp(8)), 'no request of the guest after');
  assert.equal(notices.length, 3, 'the owner is told of no request after it was let in');
  // Before its group's records came here: a node that says it comes as a guest asks for nothing.
  const early = { peerId: fp(11), remote: '10.0.0.11:7475' } as Link;
  const waits = approvals.onUnknownHello(early, {
    name: 'n11',
    addresses: [],
    guest: true,
  } as unknown as Hello);
  assert.match(waits, /^home does not let this node in as a guest \(yet/);
  assert.ok(
    !approvals.list().some((r) => r.fingerprint === fp(11)),
    'no request of a node that came as a guest',
  );
  assert.equal(notices.length, 3, 'nor a notice');
});

test('a node removed here that comes as a guest is refused as removed, not told to wait', () => {
  const { approvals, trust } = setup();
  approvals.reject({ id: approvals.record(request(12, 'fingerprint')).id });
  assert.equal(trust.isBlocked(fp(12)), true, 'n12 is blocked');
  const link = { peerId: fp(12), remote: '10.0.0.12:7475' } as Link;
  assert.throws(
    () => approvals.onUnknownHello(link, { name: 'n12', addresses: [], guest: true } as unknown as Hello),
    (err) => isClawError(err, 'UNKNOWN_PEER') && err.refusal === 'REMOVED',
  );
});

test('an unknown id says how to list the requests, the command as a hint', () => {
  const { approvals } = setup();
  assert.throws(
    () => approvals.approve({ id: 'nope' }, []),
    (err) =>
      isClawError(err, 'PEER_NOT_FOUND') &&
      err.message === "no pending request 'nope'; `clawbridge pending` lists them" &&
      JSON.stringify(err.hint) === JSON.stringify({ argv: ['pending'], where: 'here', at: [27, 47] }),
  );
});

test('at start, code-verified requests of an earlier run go (their joiners are gone); fingerprint ones stay', () => {
  const { approvals } = setup();
  approvals.record(request(1, 'code'));
  approvals.record(request(2, 'fingerprint'));
  approvals.dropOrphanedCodeRequests();
  assert.deepEqual(
    approvals.list().map((r) => [r.name, r.via]),
    [['n2', 'fingerprint']],
  );
});

test('a request that cannot be saved: the owner hears why, the other node only to try again', () => {
  const { approvals, trust } = setup();
  const notices2: string[] = [];
  const failing = new Approvals({
    log: pino({ level: 'silent' }),
    state: Object.assign(Object.create(trust) as NodeState, {
      recordPending: () => {
        throw new Error('cannot save the settings to /home/me/.config/clawbridge/config.json (ENOSPC)');
      },
    }),
    notifier: { changed: () => undefined, notice: (n) => void notices2.push(n.message) },
  });
  const link = { peerId: fp(7), remote: '10.0.0.7:7475' } as Link;
  assert.throws(
    () => failing.onUnknownHello(link, { name: 'n7', addresses: [] } as unknown as Hello),
    (err: Error) =>
      err.message === 'home could not record the request (its owner sees why there); try again later' &&
      !err.message.includes('/home/me'),
  );
  assert.match(
    notices2.at(-1) ?? '',
    /^n7 \(0000…0007\) asks to pair, but the request could not be recorded: cannot save .*ENOSPC/,
  );
  // A refusal (a node removed here) still reaches the other node as it is.
  trust.block(fp(8));
  assert.throws(
    () =>
      approvals.onUnknownHello(
        { peerId: fp(8), remote: 'x:1' } as Link,
        { name: 'n8', addresses: [] } as unknown as Hello,
      ),
    /was removed by home/,
  );
});
