/**
 * What checking an exchange's records may cost (groups/group-record-checks.ts,
 * docs/adr/0097-group-exchange-work-per-member.md), driven by a fake clock and a counted signature
 * check: cheap checks before any signature, a record checked once is not checked again, a budget per
 * member and per node, and the loop's turn every RECORDS_PER_SLICE signatures.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  GroupRecordChecks,
  MAX_NEW_RECORDS_PER_MEMBER_MINUTE,
  MAX_NEW_RECORDS_PER_NODE_MINUTE,
  RECORDS_PER_SLICE,
} from '../../../src-main/groups/group-record-checks.js';
import type { GroupRecord } from '../../../src-main/protocol/group-records.js';
import { AT, devices, rec, settings } from '../../helpers/group-records.js';
import { fakeClock } from '../../helpers/fake-clock.js';

const SIGNER = 'ab'.repeat(32);
const CERT = Buffer.from('a certificate, as far as the shape goes').toString('base64');

/** `count` well-shaped records (settings of distinct groups), from `from` on; their signatures unchecked here. */
function records(count: number, from = 0): GroupRecord[] {
  return Array.from({ length: count }, (_, k) => {
    const group = (from + k).toString(16).padStart(32, '0');
    const sig = Buffer.alloc(64, 1);
    sig.writeUInt32BE(from + k);
    return {
      v: 1,
      kind: 'settings',
      group,
      subject: group,
      name: 'flood',
      allow: ['terminal'],
      seq: 1,
      by: SIGNER,
      byCert: CERT,
      at: AT,
      sig: sig.toString('base64'),
    };
  });
}

/** Checks whose signatures all hold but those in `bad`; counts the checks and the loop's turns. */
function counted(bad: ReadonlySet<string> = new Set()) {
  const clock = fakeClock(1_000_000);
  let signatures = 0;
  let turns = 0;
  /** The most signatures checked between two turns. */
  let longestSlice = 0;
  let sinceTurn = 0;
  const checks = new GroupRecordChecks({
    now: clock.now,
    turn: () => {
      turns++;
      sinceTurn = 0;
      return Promise.resolve();
    },
    signatureProblem: (r) => {
      signatures++;
      longestSlice = Math.max(longestSlice, ++sinceTurn);
      return bad.has(r.sig) ? 'its signature does not match (altered or forged)' : undefined;
    },
  });
  return {
    checks,
    clock,
    signatures: () => signatures,
    turns: () => turns,
    longestSlice: () => longestSlice,
  };
}

/** The records as JSON gave them on the wire. */
const wire = (list: readonly GroupRecord[]): unknown[] =>
  list.map((r): unknown => JSON.parse(JSON.stringify(r)));

test('a record checked once is not checked again, whichever exchange brings it', async () => {
  const c = counted();
  const list = records(100);
  const first = await c.checks.check(wire(list), 'member a');
  assert.ok('records' in first, 'the first exchange is taken');
  assert.equal(first.signatures, 100);
  const again = await c.checks.check(wire([...list.slice(50), ...records(10, 100)]), 'member b');
  assert.ok('records' in again, 'the second is taken too');
  assert.equal(again.signatures, 10, 'only the ten new records were checked');
  assert.equal(c.signatures(), 110);
});

test('an exchange of 1,023 good records and one bad one costs its signatures once; sent again, none', async () => {
  const list = records(1024);
  const c = counted(new Set([list[1023]!.sig]));
  const first = await c.checks.check(wire(list), 'member a');
  assert.ok('refused' in first && /altered or forged/.test(first.refused), 'refused for the bad record');
  assert.equal(first.signatures, 1024);
  c.clock.advance(60_000);
  const again = await c.checks.check(wire(list), 'member a');
  assert.ok('refused' in again && /did not hold before/.test(again.refused), 'refused at once, as before');
  assert.equal(again.signatures, 0, 'no signature was checked again');
  // Its good records hold still, in an exchange without the bad one.
  const good = await c.checks.check(wire(list.slice(0, 1023)), 'member a');
  assert.ok('records' in good, 'the good records are taken');
  assert.equal(c.signatures(), 1024);
});

test('the checks that need no signature come first: a malformed record or a precheck refuses before any', async () => {
  const c = counted();
  const malformed = [...wire(records(500)), { record: 'not one' }];
  const bad = await c.checks.check(malformed, 'member a');
  assert.ok('refused' in bad && /record 501 is malformed/.test(bad.refused), 'refused for its shape');
  const prechecked = await c.checks.check(wire(records(500, 1000)), 'member a', (rs) =>
    rs.length === 500 ? 'a group past its bound' : undefined,
  );
  assert.ok(
    'refused' in prechecked && prechecked.refused === 'a group past its bound',
    'refused by the precheck',
  );
  assert.equal(c.signatures(), 0, 'no signature was checked for either');
  const tooMany = await c.checks.check(wire(records(1025)), 'member a');
  assert.ok('refused' in tooMany && /at most 1024/.test(tooMany.refused), 'too many records refused');
  assert.equal(c.signatures(), 0);
});

test("a member's new records are bounded a minute, whichever of its devices sends them", async () => {
  const c = counted();
  const half = MAX_NEW_RECORDS_PER_MEMBER_MINUTE / 2;
  for (let i = 0; i < 2; i++) {
    const ok = await c.checks.check(wire(records(half, i * half)), 'member mira');
    assert.ok('records' in ok, `exchange ${i + 1} is within mira's budget`);
  }
  const busy = await c.checks.check(wire(records(1, 10_000)), 'member mira');
  assert.ok('refused' in busy && /^busy: .*all its devices together/.test(busy.refused), 'past it: busy');
  assert.equal(busy.signatures, 0, 'refused before any signature');
  assert.equal(c.signatures(), MAX_NEW_RECORDS_PER_MEMBER_MINUTE);
  // Known records cost no budget; another member has a budget of its own.
  assert.ok('records' in (await c.checks.check(wire(records(10)), 'member mira')), 'known records pass');
  assert.ok('records' in (await c.checks.check(wire(records(10, 20_000)), 'member nia')), 'nia is not mira');
  // The budget comes back over the minute.
  c.clock.advance(30_000);
  assert.ok(
    'records' in (await c.checks.check(wire(records(half, 30_000)), 'member mira')),
    'half after 30 s',
  );
  const over = await c.checks.check(wire(records(half / 8, 40_000)), 'member mira');
  assert.ok('refused' in over, 'and no more');
});

test("the node's budget bounds all members together; this person's own devices are not counted", async () => {
  const c = counted();
  const full = MAX_NEW_RECORDS_PER_NODE_MINUTE / 4;
  for (let i = 0; i < 4; i++) {
    const ok = await c.checks.check(wire(records(full, i * full)), `member ${i}`);
    assert.ok('records' in ok, `member ${i} is within the node's budget`);
  }
  const busy = await c.checks.check(wire(records(1, 90_000)), 'member 5');
  assert.ok('refused' in busy && /^busy: .*this node checks at most/.test(busy.refused), 'a fifth: busy');
  const own = await c.checks.check(wire(records(full, 100_000)), undefined);
  assert.ok('records' in own, "this person's own devices are checked whatever the budget");
  assert.equal(c.signatures(), MAX_NEW_RECORDS_PER_NODE_MINUTE + full);
});

test('the loop takes its turn every RECORDS_PER_SLICE signatures', async () => {
  const c = counted();
  const ok = await c.checks.check(wire(records(1024)), 'member a');
  assert.ok('records' in ok, 'taken');
  assert.equal(c.longestSlice(), RECORDS_PER_SLICE, 'never more signatures between two turns');
  assert.ok(c.turns() >= 1024 / RECORDS_PER_SLICE, `${c.turns()} turns for 1024 records`);
});

test("a signer's key parsed before stands for that signer's certificate alone", async () => {
  const d = await devices();
  const checks = new GroupRecordChecks();
  const first = await checks.check(wire([rec(d.m1, 1, settings('lab'))]), 'member a');
  assert.ok('records' in first, "m1's record holds, and m1's key is kept");
  const another = await checks.check(wire([rec(d.m1, 2, settings('lab'))]), 'member a');
  assert.ok('records' in another, 'another record of m1 holds with the kept key');
  // M2's record under M1's name: M1's kept key is not asked, the certificate is not M1's.
  const claimed = { ...rec(d.m2, 3, settings('lab')), by: d.m1.fingerprint };
  const refused = await checks.check(wire([claimed]), 'member a');
  assert.ok('refused' in refused && /certificate is not the signer's/.test(refused.refused), 'refused');
  const altered = { ...rec(d.m1, 4, settings('lab')), name: 'altered' };
  const bad = await checks.check(wire([altered]), 'member a');
  assert.ok('refused' in bad && /altered or forged/.test(bad.refused), 'an altered record of m1 is refused');
});
