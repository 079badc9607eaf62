/**
 * state/member-log.ts (ADR 0065): the signed membership records kept in members.json, apart from
 * config.json — read back after a restart, checked when read (a bad record dropped, a corrupt file set
 * aside with a warning and the agent going on), and an older config.json's `members` moved there by
 * the winner rule, then no longer written to config.json.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  MEMBERS_FILE,
  MemberLog,
  memberLogFile,
  moveLegacyMembers,
  UNREADABLE_MEMBERS_FILE,
} from '../../../src-main/state/member-log.js';
import { introduce, removal, withRecord } from '../../../src-main/state/membership.js';
import { NodeState } from '../../../src-main/state/node-state.js';
import { testIdentity } from '../../helpers/identities.js';

const fp = (c: string) => c.repeat(64).slice(0, 64);
const known = { addresses: ['127.0.0.1:7000'] };

function home(): string {
  return mkdtempSync(join(tmpdir(), 'cb-member-log-'));
}

function open(dir: string, warnings: string[] = []): MemberLog {
  return new MemberLog(memberLogFile(dir, (line) => warnings.push(line)));
}

test('records kept are read back by the next start, with when they were kept', async () => {
  const b = await testIdentity('b');
  const dir = home();
  const first = open(dir);
  assert.deepEqual(first.records(), [], 'no file yet: none');
  const intro = introduce(b, [], { fingerprint: fp('d'), name: 'd' }, known);
  const gone = removal(b, [intro], fp('d'));
  first.replace([intro]);
  first.replace(withRecord(first.records(), gone));
  const warnings: string[] = [];
  const again = open(dir, warnings);
  assert.deepEqual(again.records(), [gone]);
  assert.ok(again.entries()[0]!.keptAt, 'when it was kept');
  assert.deepEqual(warnings, []);
});

test('a record whose signature does not hold is dropped on load, with a warning; the others stay', async () => {
  const b = await testIdentity('b');
  const dir = home();
  const good = introduce(b, [], { fingerprint: fp('c'), name: 'c' }, known);
  const forged = { ...introduce(b, [], { fingerprint: fp('d'), name: 'd' }, known), name: 'evil' };
  writeFileSync(
    join(dir, MEMBERS_FILE),
    JSON.stringify({
      version: 1,
      records: [{ record: good }, { record: forged }, { record: { kind: 'x' } }],
    }),
  );
  const warnings: string[] = [];
  const log = open(dir, warnings);
  assert.deepEqual(log.records(), [good]);
  assert.equal(warnings.length, 2);
  assert.match(warnings[0]!, /record 2 dropped/);
  assert.match(warnings[1]!, /record 3 dropped/);
});

test('a corrupt file is set aside with a clear warning; the log starts empty and saves again', async () => {
  const b = await testIdentity('b');
  const dir = home();
  writeFileSync(join(dir, MEMBERS_FILE), '{"version":1,"records":[{"rec');
  const warnings: string[] = [];
  const log = open(dir, warnings);
  assert.deepEqual(log.records(), []);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /members\.json is not readable .*moved to .*members\.json\.unreadable/);
  assert.equal(readFileSync(join(dir, UNREADABLE_MEMBERS_FILE), 'utf8'), '{"version":1,"records":[{"rec');
  const intro = introduce(b, [], { fingerprint: fp('c'), name: 'c' }, known);
  log.replace([intro]);
  assert.deepEqual(open(dir).records(), [intro]);
});

test('an older config.json’s members move to members.json by the winner rule, and config.json stops carrying them', async () => {
  const b = await testIdentity('b');
  const c = await testIdentity('c');
  const dir = home();
  const intro = introduce(b, [], { fingerprint: fp('d'), name: 'd' }, known);
  const introC = introduce(b, [], { fingerprint: fp('e'), name: 'e' }, known);
  const gone = removal(c, [intro], fp('d'));
  // members.json already has the removal of d (kept after the config.json below was written).
  open(dir).replace([gone]);
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      name: 'b',
      peers: [
        {
          fingerprint: fp('d'),
          name: 'd',
          allow: ['terminal'],
          addresses: [],
          addedAt: '2026-11-27T06:00:00.000Z',
          mine: true,
        },
      ],
      members: [intro, introC],
    }),
  );
  const state = NodeState.open(dir);
  const log = open(dir);
  assert.equal(moveLegacyMembers(state, log), 2);
  // The removal wins over the older introduction; e's introduction joins it.
  assert.deepEqual(
    new Map(log.records().map((r) => [r.subject, r.kind])),
    new Map([
      [fp('d'), 'remove'],
      [fp('e'), 'intro'],
    ]),
  );
  assert.equal(log.entries().find((k) => k.record.subject === fp('e'))?.keptAt, undefined);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(config.members, undefined, 'config.json no longer carries them');
  assert.equal((config.peers as unknown[]).length, 1, 'the rest of config.json is as it was');
  assert.deepEqual(open(dir).records(), log.records(), 'members.json has them');
  // A second start has nothing to move.
  assert.equal(moveLegacyMembers(NodeState.open(dir), open(dir)), 0);
  assert.ok(existsSync(join(dir, MEMBERS_FILE)), 'existsSync(join(dir, MEMBERS_FILE))');
});

test('a save that fails changes nothing', async () => {
  const b = await testIdentity('b');
  const log = new MemberLog({
    load: () => [],
    save: () => {
      throw new Error('ENOSPC');
    },
  });
  let told = 0;
  log.subscribe(() => told++);
  assert.throws(() => log.replace([introduce(b, [], { fingerprint: fp('c'), name: 'c' }, known)]), /ENOSPC/);
  assert.deepEqual(log.records(), []);
  assert.equal(told, 0);
});
