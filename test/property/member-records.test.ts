/**
 * Membership records under fast-check (protocol/member-records.ts, ADR 0056): arbitrary lines never
 * throw; a signed record with any byte changed either fails to decode, fails its signature, or is the
 * same record; however the records of an exchange are chunked, the same records are read; and in
 * whatever order a set of records arrives, every device ends with the same log and the same peers
 * (so all the owner's devices agree).
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import fc from 'fast-check';
import { readRecords } from '../../src-main/pairing/member-lines.js';
import { introduce, planMembership, removal } from '../../src-main/state/membership.js';
import type { PeerRecord } from '../../src-main/state/settings.js';
import { memberSignatureProblem } from '../../src-main/crypto/member-signature.js';
import {
  decodeMemberLine,
  encodeMemberRecord,
  type MemberRecord,
} from '../../src-main/protocol/member-records.js';
import { fuzzRuns } from '../helpers/fuzz-runs.js';
import { testIdentity } from '../helpers/identities.js';

const known = { addresses: ['127.0.0.1:7475', '[::1]:7475'], homeRelay: { url: 'ws://127.0.0.1:7474' } };
const fp = (c: string) => c.repeat(64).slice(0, 64);

test('arbitrary lines never throw', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 5000 }), fc.json()), (line) => {
      const r = decodeMemberLine(line);
      assert.ok(
        'record' in r || typeof r.problem === 'string',
        "'record' in r || typeof r.problem === 'string'",
      );
    }),
    { numRuns: fuzzRuns() },
  );
});

test('a signed record with a byte changed is refused or is still the same record', async () => {
  const b = await testIdentity('b');
  const records = [
    introduce(b, [], { fingerprint: fp('c'), name: 'laptop' }, known),
    removal(b, [], fp('d')),
  ];
  fc.assert(
    fc.property(
      fc.constantFrom(...records),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      (record, at, xor) => {
        const line = encodeMemberRecord(record).subarray(0, -1);
        const bytes = Buffer.from(line);
        const i = at % bytes.length;
        bytes[i] = bytes[i]! ^ xor;
        const r = decodeMemberLine(bytes.toString('utf8'));
        if (!('record' in r) || memberSignatureProblem(r.record) !== undefined) return;
        assert.deepEqual(r.record, record);
      },
    ),
    { numRuns: fuzzRuns() },
  );
});

test('however an exchange is chunked, the same records are read', async () => {
  const b = await testIdentity('b');
  const pool = [0, 1, 2, 3].map((i) =>
    introduce(b, [], { fingerprint: fp(String(i)), name: `n${i}` }, known),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.constantFrom(...pool), { maxLength: 6 }),
      fc.array(fc.nat(), { maxLength: 12 }),
      async (list, cuts) => {
        const bytes = Buffer.concat(list.map(encodeMemberRecord));
        const stream = new PassThrough();
        const read = readRecords(stream, 5000);
        const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((x, y) => x - y);
        let from = 0;
        for (const to of [...at, bytes.length]) {
          stream.write(bytes.subarray(from, to));
          from = to;
        }
        stream.end();
        assert.deepEqual(await read, { records: list });
      },
    ),
    { numRuns: Math.ceil(fuzzRuns() / 10) },
  );
});

test('in any order, the same records leave every device with the same log and peers', async () => {
  const self = await testIdentity('self');
  const a = await testIdentity('a');
  const b = await testIdentity('b');
  // Two devices introduced, one removed and brought back, one removed by another member.
  const introD = introduce(a, [], { fingerprint: fp('d'), name: 'd' }, known);
  const goneD = removal(b, [introD], fp('d'));
  const backD = introduce(a, [goneD], { fingerprint: fp('d'), name: 'd' }, known);
  const introE = introduce(b, [], { fingerprint: fp('e'), name: 'e' }, known);
  const goneE = removal(a, [introE], fp('e'));
  const introF = introduce(a, [], { fingerprint: fp('f'), name: 'f' }, known);
  const all: MemberRecord[] = [introD, goneD, backD, introE, goneE, introF];
  const members: PeerRecord[] = [a, b].map((n, i) => ({
    fingerprint: n.fingerprint,
    name: `m${i}`,
    allow: [],
    addresses: [],
    addedAt: '2026-11-27T06:00:00.000Z',
    mine: true,
  }));
  const settle = (order: MemberRecord[]) => {
    const r = planMembership(
      { peers: members, blocked: [], members: [], mineAllow: ['terminal'] },
      self.fingerprint,
      a.fingerprint,
      order,
    );
    assert.ok('plan' in r, "'plan' in r");
    const { plan } = r;
    return {
      log: [...plan.members].sort((x, y) => x.subject.localeCompare(y.subject)),
      peers: plan.peers.map((p) => p.fingerprint).sort(),
    };
  };
  const expected = settle(all);
  assert.deepEqual(expected.peers, [...members.map((m) => m.fingerprint), fp('d'), fp('f')].sort());
  fc.assert(
    fc.property(fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length }), (order) => {
      assert.deepEqual(settle(order), expected);
    }),
    { numRuns: Math.ceil(fuzzRuns() / 50) },
  );
});
