/**
 * The rules of state/membership.ts planMembership (ADR 0056), one by one: who may introduce,
 * the removal that wins over older introductions, refusals that apply nothing (a forged record, a
 * loop, a flood), blocked nodes, names that look like another peer's.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MemberLog, memberLogFile } from '../../../src-main/state/member-log.js';
import { signMemberRecord } from '../../../src-main/crypto/member-signature.js';
import {
  introduce,
  MAX_NEW_DEVICES_PER_EXCHANGE,
  planMembership,
  removal,
  type MembershipPlan,
} from '../../../src-main/state/membership.js';
import type { PeerRecord } from '../../../src-main/state/settings.js';
import {
  decodeMemberLine,
  encodeMemberRecord,
  MAX_MEMBER_SEQ,
  type MemberRecord,
} from '../../../src-main/protocol/member-records.js';
import { testIdentity } from '../../helpers/identities.js';

const fp = (c: string) => c.repeat(64).slice(0, 64);
const at = '2026-11-27T06:00:00.000Z';

function peer(fingerprint: string, name: string, mine = true): PeerRecord {
  return {
    fingerprint,
    name,
    allow: ['terminal'],
    addresses: [],
    addedAt: at,
    ...(mine ? { mine: true } : {}),
  };
}

type State = Parameters<typeof planMembership>[0];

function state(peers: PeerRecord[], more: Partial<State> = {}): State {
  return { peers, blocked: [], members: [], mineAllow: ['terminal', 'forward', 'message'], ...more };
}

function plan(result: ReturnType<typeof planMembership>): MembershipPlan {
  if ('refused' in result) assert.fail(`refused: ${result.refused}`);
  return result.plan;
}

const known = { addresses: ['127.0.0.1:7000'] };

test('an introduction from a device marked mine adds a peer marked mine, introduced by the signer, allowed mineAllow', async () => {
  const self = await testIdentity('self');
  const b = await testIdentity('b');
  const intro = introduce(b, [], { fingerprint: fp('c'), name: 'laptop' }, known);
  const p = plan(planMembership(state([peer(b.fingerprint, 'b')]), self.fingerprint, b.fingerprint, [intro]));
  const c = p.peers.find((x) => x.fingerprint === fp('c'));
  assert.deepEqual(c && { ...c, addedAt: at }, {
    fingerprint: fp('c'),
    name: 'laptop',
    allow: ['terminal', 'forward', 'message'],
    addresses: [{ address: '127.0.0.1:7000', from: ['hello'] }],
    addedAt: at,
    mine: true,
    introducedBy: b.fingerprint,
  });
  assert.deepEqual(p.added, [{ fingerprint: fp('c'), name: 'laptop', by: b.fingerprint }]);
  assert.deepEqual(p.members, [intro]);
});

test('records signed by a node not marked mine here are skipped; a device the same exchange introduces may sign', async () => {
  const self = await testIdentity('self');
  const b = await testIdentity('b');
  const e = await testIdentity('e');
  const x = await testIdentity('x');
  const fromE = introduce(e, [], { fingerprint: fp('f'), name: 'f' }, known);
  assert.equal(
    plan(
      planMembership(
        state([peer(b.fingerprint, 'b'), peer(e.fingerprint, 'e', false)]),
        self.fingerprint,
        b.fingerprint,
        [fromE],
      ),
    ).changed,
    false,
  );
  // x's own introduction of d comes first in the list, before b's introduction of x: both count.
  const fromX = introduce(x, [], { fingerprint: fp('d'), name: 'd' }, known);
  const ofX = introduce(b, [], { fingerprint: x.fingerprint, name: 'x' }, known);
  const p = plan(
    planMembership(state([peer(b.fingerprint, 'b')]), self.fingerprint, b.fingerprint, [fromX, ofX]),
  );
  assert.deepEqual(
    p.added.map((a) => a.name),
    ['x', 'd'],
  );
});

test('what a device passes on counts when its introductions loop (b by c, c by b) with none signed by a device here', async () => {
  // d paired with a alone; a keeps, per device, the winning record: b's signed by c, c's signed by b
  // (each marked the other when they paired). d knows neither signer, yet both are a's devices.
  const d = await testIdentity('d');
  const a = await testIdentity('a');
  const b = await testIdentity('b');
  const c = await testIdentity('c');
  const bByC = introduce(c, [], { fingerprint: b.fingerprint, name: 'b' }, known);
  const cByB = introduce(b, [], { fingerprint: c.fingerprint, name: 'c' }, known);
  const p = plan(
    planMembership(state([peer(a.fingerprint, 'a')]), d.fingerprint, a.fingerprint, [bByC, cByB]),
  );
  assert.deepEqual(p.added.map((x) => [x.name, x.by]).sort(), [
    ['b', c.fingerprint],
    ['c', b.fingerprint],
  ]);
  assert.ok(
    p.peers.every((x) => x.mine === true),
    'p.peers.every((x) => x.mine === true)',
  );
  // Not so for a signer introduced only by a peer here not marked mine, by a blocked node, or by
  // itself: their records are skipped.
  const e = await testIdentity('e');
  const x = await testIdentity('x');
  const xByE = introduce(e, [], { fingerprint: x.fingerprint, name: 'x' }, known);
  const fByX = introduce(x, [], { fingerprint: fp('f'), name: 'f' }, known);
  // e's introduction by x closes a loop, as b's and c's do above: it does not count for a known e.
  const eByX = introduce(x, [], { fingerprint: e.fingerprint, name: 'e' }, known);
  const notMine = plan(
    planMembership(
      state([peer(a.fingerprint, 'a'), peer(e.fingerprint, 'e', false)]),
      d.fingerprint,
      a.fingerprint,
      [xByE, eByX, fByX],
    ),
  );
  assert.equal(notMine.changed, false);
  const blockedE = plan(
    planMembership(
      state([peer(a.fingerprint, 'a')], { blocked: [{ fingerprint: e.fingerprint, at }] }),
      d.fingerprint,
      a.fingerprint,
      [xByE, eByX, fByX],
    ),
  );
  assert.equal(blockedE.changed, false);
  const xByX = introduce(x, [], { fingerprint: x.fingerprint, name: 'x' }, known);
  const self = plan(
    planMembership(state([peer(a.fingerprint, 'a')]), d.fingerprint, a.fingerprint, [xByX, fByX]),
  );
  assert.equal(self.changed, false);
});

test('a removal wins over the introduction it follows, and an older introduction is refused after it', async () => {
  const self = await testIdentity('self');
  const a = await testIdentity('a');
  const c = await testIdentity('c');
  const intro = introduce(a, [], { fingerprint: fp('d'), name: 'd' }, known);
  const gone = removal(c, [intro], fp('d'));
  const peers = [
    peer(a.fingerprint, 'a'),
    peer(c.fingerprint, 'c'),
    { ...peer(fp('d'), 'd'), introducedBy: a.fingerprint },
  ];
  const p = plan(planMembership(state(peers, { members: [intro] }), self.fingerprint, c.fingerprint, [gone]));
  assert.ok(
    !p.peers.some((x) => x.fingerprint === fp('d')),
    "!p.peers.some((x) => x.fingerprint === fp('d'))",
  );
  assert.ok(
    p.blocked.some((x) => x.fingerprint === fp('d')),
    "p.blocked.some((x) => x.fingerprint === fp('d'))",
  );
  assert.deepEqual(p.members, [gone]);
  // Later, the old introduction again (an old settings file passed it on): refused, with why.
  const again = plan(
    planMembership(
      state(p.peers, { members: p.members, blocked: p.blocked }),
      self.fingerprint,
      a.fingerprint,
      [intro],
    ),
  );
  assert.equal(again.changed, false);
  assert.ok(
    !again.peers.some((x) => x.fingerprint === fp('d')),
    "!again.peers.some((x) => x.fingerprint === fp('d'))",
  );
  assert.match(again.notes[0]?.line ?? '', /refused: older than its removal by c/);
  // In whatever order both arrive, the removal is what stays.
  const both = plan(planMembership(state(peers), self.fingerprint, a.fingerprint, [gone, intro]));
  assert.deepEqual(both.members, [gone]);
  assert.ok(
    !both.peers.some((x) => x.fingerprint === fp('d')),
    "!both.peers.some((x) => x.fingerprint === fp('d'))",
  );
});

test('an introduction newer than the removal (the owner paired the device again) brings it back, unblocked', async () => {
  const self = await testIdentity('self');
  const a = await testIdentity('a');
  const first = introduce(a, [], { fingerprint: fp('d'), name: 'd' }, known);
  const gone = removal(a, [first], fp('d'));
  const back = introduce(a, [gone], { fingerprint: fp('d'), name: 'd' }, known);
  assert.equal(back.seq, 3);
  const blocked = [{ fingerprint: fp('d'), at, byRemoval: true as const }];
  const p = plan(
    planMembership(
      state([peer(a.fingerprint, 'a')], { members: [gone], blocked }),
      self.fingerprint,
      a.fingerprint,
      [back],
    ),
  );
  assert.ok(
    p.peers.some((x) => x.fingerprint === fp('d')),
    "p.peers.some((x) => x.fingerprint === fp('d'))",
  );
  assert.deepEqual(p.blocked, []);
});

test('a node removed here by hand after its removal was kept is not brought back by a newer introduction; pairing it here again is how', async () => {
  const self = await testIdentity('self');
  const a = await testIdentity('a');
  const first = introduce(a, [], { fingerprint: fp('d'), name: 'd' }, known);
  const gone = removal(a, [first], fp('d'));
  // The removal arrives: d is blocked, by the removal.
  const removed = plan(
    planMembership(
      state([peer(a.fingerprint, 'a'), { ...peer(fp('d'), 'd'), introducedBy: a.fingerprint }], {
        members: [first],
      }),
      self.fingerprint,
      a.fingerprint,
      [gone],
    ),
  );
  assert.deepEqual(
    removed.blocked.map((b) => b.byRemoval),
    [true],
  );
  // The owner pairs d here again (not as one of the devices), then removes it here by hand.
  const byHand = [{ fingerprint: fp('d'), at }];
  const back = introduce(a, [gone], { fingerprint: fp('d'), name: 'd' }, known);
  const p = plan(
    planMembership(
      state([peer(a.fingerprint, 'a')], { members: removed.members, blocked: byHand }),
      self.fingerprint,
      a.fingerprint,
      [back],
    ),
  );
  assert.ok(!p.peers.some((x) => x.fingerprint === fp('d')), 'd came back');
  assert.match(p.notes[0]?.line ?? '', /refused: it is blocked here/);
  // A removal arriving after the owner's own block keeps it the owner's.
  const later = plan(
    planMembership(
      state([peer(a.fingerprint, 'a')], { members: [first], blocked: byHand }),
      self.fingerprint,
      a.fingerprint,
      [gone],
    ),
  );
  assert.deepEqual(later.blocked, byHand);
});

test('a node blocked here (removed or rejected by this owner) is not introduced', async () => {
  const self = await testIdentity('self');
  const b = await testIdentity('b');
  const intro = introduce(b, [], { fingerprint: fp('9'), name: 'intruder' }, known);
  const p = plan(
    planMembership(
      state([peer(b.fingerprint, 'b')], { blocked: [{ fingerprint: fp('9'), at }] }),
      self.fingerprint,
      b.fingerprint,
      [intro],
    ),
  );
  assert.equal(p.changed, false);
  assert.match(p.notes[0]?.line ?? '', /intruder .* refused: it is blocked here/);
});

test('refused whole, nothing applied: a forged or altered record, a loop, a flood', async () => {
  const self = await testIdentity('self');
  const b = await testIdentity('b');
  const mallory = await testIdentity('mallory');
  const s = state([peer(b.fingerprint, 'b')]);
  const good = introduce(b, [], { fingerprint: fp('c'), name: 'c' }, known);
  const altered = { ...introduce(b, [], { fingerprint: fp('d'), name: 'd' }, known), name: 'evil' };
  const r1 = planMembership(s, self.fingerprint, b.fingerprint, [good, altered]);
  assert.match('refused' in r1 ? r1.refused : '', /signature does not match/);
  // Signed by mallory but claiming to be b's: the certificate is not b's.
  const claimed = {
    ...introduce(mallory, [], { fingerprint: fp('d'), name: 'd' }, known),
    by: b.fingerprint,
  };
  const r2 = planMembership(s, self.fingerprint, b.fingerprint, [claimed]);
  assert.match('refused' in r2 ? r2.refused : '', /certificate is not the signer's/);
  const loop = introduce(b, [], { fingerprint: self.fingerprint, name: 'me' }, known);
  const r3 = planMembership(s, self.fingerprint, b.fingerprint, [good, loop]);
  assert.match('refused' in r3 ? r3.refused : '', /introduces this node to itself/);
  const flood: MemberRecord[] = [];
  for (let i = 0; i <= MAX_NEW_DEVICES_PER_EXCHANGE; i++)
    flood.push(introduce(b, [], { fingerprint: i.toString(16).padStart(64, 'a'), name: `n${i}` }, known));
  const r4 = planMembership(s, self.fingerprint, b.fingerprint, flood);
  assert.match('refused' in r4 ? r4.refused : '', /would add 17 devices, at most 16 at once/);
  assert.ok('plan' in planMembership(s, self.fingerprint, b.fingerprint, flood.slice(1)), '16 is allowed');
});

test('a name that reads as another peer’s is shown with the fingerprint; an existing peer not marked mine stays as it is', async () => {
  const self = await testIdentity('self');
  const b = await testIdentity('b');
  const lookalike = introduce(b, [], { fingerprint: fp('c'), name: 'B' }, known);
  const p = plan(
    planMembership(state([peer(b.fingerprint, 'b')]), self.fingerprint, b.fingerprint, [lookalike]),
  );
  assert.equal(p.added[0]?.name, `B-${fp('c').slice(0, 8)}`);
  const known2 = introduce(b, [], { fingerprint: fp('e'), name: 'e' }, known);
  const q = plan(
    planMembership(
      state([peer(b.fingerprint, 'b'), peer(fp('e'), 'e', false)]),
      self.fingerprint,
      b.fingerprint,
      [known2],
    ),
  );
  assert.equal(q.peers.find((x) => x.fingerprint === fp('e'))?.mine, undefined);
  assert.match(q.notes[0]?.line ?? '', /not marked as one of the owner's devices: left as it is/);
});

test('a device introduced at the highest seq is still removed everywhere: the removal takes that seq and wins, and is kept across a restart', async () => {
  const self = await testIdentity('self');
  const b = await testIdentity('b');
  const y = await testIdentity('y');
  // b, a device of the owner's, signs an introduction of d at the very top of the range.
  const { sig: _first, ...unsigned } = introduce(b, [], { fingerprint: fp('d'), name: 'd' }, known);
  const intro = signMemberRecord(b, { ...unsigned, seq: MAX_MEMBER_SEQ });
  const here = plan(
    planMembership(state([peer(b.fingerprint, 'b')]), self.fingerprint, b.fingerprint, [intro]),
  );
  assert.ok(
    here.peers.some((x) => x.fingerprint === fp('d')),
    "here.peers.some((x) => x.fingerprint === fp('d'))",
  );
  // The owner removes d here: a record every other device accepts (it parses as sent).
  const gone = removal(self, here.members, fp('d'));
  assert.equal(gone.seq, MAX_MEMBER_SEQ);
  const sent = decodeMemberLine(new TextDecoder().decode(encodeMemberRecord(gone)).trimEnd());
  assert.ok('record' in sent, `the removal as another device reads it: ${JSON.stringify(sent)}`);
  // y, which has d from b, takes the removal over the introduction of the same seq.
  const onY = plan(
    planMembership(
      state([peer(b.fingerprint, 'b'), peer(self.fingerprint, 'self'), peer(fp('d'), 'd')], {
        members: [intro],
      }),
      y.fingerprint,
      self.fingerprint,
      [sent.record],
    ),
  );
  assert.ok(!onY.peers.some((x) => x.fingerprint === fp('d')), 'd removed on y');
  assert.deepEqual(onY.members, [gone]);
  // The same introduction again (b passes it on) does not bring d back.
  const again = plan(
    planMembership(
      state(onY.peers, { members: onY.members, blocked: onY.blocked }),
      y.fingerprint,
      b.fingerprint,
      [intro],
    ),
  );
  assert.equal(again.changed, false);
  // Kept in the file and read back by the next start (a record past the range would be dropped).
  const dir = mkdtempSync(join(tmpdir(), 'cb-member-seq-'));
  const warnings: string[] = [];
  new MemberLog(memberLogFile(dir, (l) => warnings.push(l))).replace(onY.members);
  const reread = new MemberLog(memberLogFile(dir, (l) => warnings.push(l)));
  assert.deepEqual(reread.records(), [gone]);
  assert.deepEqual(warnings, []);
});
