/**
 * Introductions.applyKeptRemovals (ADR 0065): at start, before anything listens, config.json is brought
 * in line with the removals kept in members.json — a peer added before its removal was kept (an old
 * config.json) is removed, blocked and audited; one paired again after it stays; a removed node
 * config.json does not know is blocked.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Introductions } from '../../../src-main/pairing/introductions.js';
import { MemberLog, inMemoryMemberLog } from '../../../src-main/state/member-log.js';
import { introduce, removal } from '../../../src-main/state/membership.js';
import type { PeerRecord } from '../../../src-main/state/settings.js';
import { memoryState } from '../../helpers/memory-state.js';
import { testIdentity } from '../../helpers/identities.js';

const fp = (c: string) => c.repeat(64).slice(0, 64);

function peer(fingerprint: string, name: string, addedAt: string): PeerRecord {
  return { fingerprint, name, allow: ['terminal'], addresses: [], addedAt, mine: true };
}

test('a peer an old config.json lists is removed at start when a removal of it was kept after it was added', async () => {
  const self = await testIdentity('self');
  const c = await testIdentity('c');
  const gone = (subject: string) =>
    removal(c, [introduce(c, [], { fingerprint: subject, name: 'x' }, { addresses: [] })], subject);
  const keptAt = '2026-11-27T10:00:00.000Z';
  const members = new MemberLog(
    inMemoryMemberLog([
      { record: gone(fp('d')), keptAt }, // d: listed by an old config.json
      { record: gone(fp('e')), keptAt }, // e: paired again here after the removal
      { record: gone(fp('f')), keptAt }, // f: not in config.json at all
      { record: gone(fp('9')) }, // moved from an older config.json: agreed with it
    ]),
  );
  const { state } = memoryState({
    peers: [
      peer(c.fingerprint, 'c', '2026-11-27T09:00:00.000Z'),
      peer(fp('d'), 'd', '2026-11-27T09:30:00.000Z'),
      { ...peer(fp('e'), 'e', '2026-11-27T10:05:00.000Z'), mine: undefined },
      peer(fp('9'), 'nine', '2026-11-27T09:30:00.000Z'),
    ],
  });
  const audited: { change?: string; peer?: { name: string }; what: string }[] = [];
  const lines: string[] = [];
  const intros = new Introductions({
    identity: self,
    log: {
      info: (_o: unknown, line?: string) => lines.push(line ?? String(_o)),
      warn: () => {},
      debug: () => {},
    } as never,
    state,
    members,
    services: { register: () => () => undefined },
    peers: {
      peerEntries: () => [],
      peerEntry: () => undefined,
      noteMarksMine: () => false,
      openStream: () => Promise.reject(new Error('no')),
      onChanged: () => () => undefined,
    },
    knownAbout: () => ({ addresses: [] }),
    audit: { record: (e: never) => void audited.push(e) },
  });
  assert.deepEqual(intros.applyKeptRemovals().sort(), [fp('d'), fp('f')]);
  const names = state.peers().map((p) => p.name);
  assert.deepEqual(names.sort(), ['c', 'e', 'nine']);
  assert.ok(state.isBlocked(fp('d')), 'd blocked');
  assert.ok(state.isBlocked(fp('f')), 'f blocked');
  assert.match(lines.join('\n'), /d \(dddddddd\) removed at start: .* by c is kept here/);
  assert.equal(audited.length, 1);
  assert.equal(audited[0]!.change, 'removed');
  assert.equal(audited[0]!.peer?.name, 'd');
  assert.match(audited[0]!.what, /removed from the owner's devices by c, kept here; removed at start/);
  // A second start has nothing left to do.
  assert.deepEqual(intros.applyKeptRemovals(), []);
});
