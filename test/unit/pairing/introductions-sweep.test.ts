/**
 * The introductions' periodic look over the devices (SWEEP_MS) runs only while some peer is marked
 * mine (ADR 0068). An idle agent with no device of its owner's was woken every 5 s for a look that
 * could find nothing to do: idle CPU (issue 56) and wake-ups the agent-idle-wake-ups test counts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Introductions, SWEEP_MS } from '../../../src-main/pairing/introductions.js';
import { MemberLog, inMemoryMemberLog } from '../../../src-main/state/member-log.js';
import type { PeerRecord } from '../../../src-main/state/settings.js';
import { memoryState } from '../../helpers/memory-state.js';
import { fakeClock, type FakeClock } from '../../helpers/fake-clock.js';
import { testIdentity } from '../../helpers/identities.js';

const fp = (c: string) => c.repeat(64).slice(0, 64);

function peer(fingerprint: string, name: string, mine?: boolean): PeerRecord {
  return {
    fingerprint,
    name,
    allow: ['terminal'],
    addresses: [],
    addedAt: '2026-11-27T09:00:00.000Z',
    ...(mine ? { mine } : {}),
  };
}

/** Introductions over memory on `clock`; `looks()` counts its passes over the peers (each check is one). */
async function setUp(peers: PeerRecord[], clock: FakeClock) {
  const self = await testIdentity('self');
  const { state } = memoryState({ peers });
  let looks = 0;
  const intros = new Introductions({
    identity: self,
    log: { info: () => {}, warn: () => {}, debug: () => {} },
    state,
    members: new MemberLog(inMemoryMemberLog([])),
    services: { register: () => () => undefined },
    peers: {
      peerEntries: () => {
        looks++;
        return [];
      },
      peerEntry: () => undefined,
      noteMarksMine: () => false,
      openStream: () => Promise.reject(new Error('no links here')),
      onChanged: () => () => undefined,
    },
    knownAbout: () => ({ addresses: [] }),
    timers: clock,
  });
  return { intros, looks: () => looks };
}

test('with no peer marked mine the introductions never look over the devices on a timer', async () => {
  const clock = fakeClock();
  const { intros, looks } = await setUp([peer(fp('b'), 'b'), peer(fp('c'), 'c')], clock);
  intros.start();
  const atStart = looks();
  clock.advance(SWEEP_MS * 12);
  assert.equal(looks() - atStart, 0, 'looks in a minute with no device marked mine');
  intros.stop();
});

test('the look comes back while a peer is marked mine, and stops when none is', async () => {
  const clock = fakeClock();
  const { intros, looks } = await setUp([peer(fp('b'), 'b')], clock);
  intros.start();
  intros.markMine(fp('b'), true);
  await new Promise<void>((resolve) => queueMicrotask(resolve));
  let before = looks();
  clock.advance(SWEEP_MS * 3);
  assert.equal(looks() - before, 3, 'a look every SWEEP_MS while b is marked mine');
  intros.markMine(fp('b'), false);
  before = looks();
  clock.advance(SWEEP_MS * 3);
  assert.equal(looks() - before, 0, 'no look once no peer is marked mine');
  intros.stop();
  // Marked mine from the start (config.json says so): looked over from the start.
  const secondClock = fakeClock();
  const second = await setUp([peer(fp('d'), 'd', true)], secondClock);
  second.intros.start();
  before = second.looks();
  secondClock.advance(SWEEP_MS * 2);
  assert.equal(second.looks() - before, 2, 'a look every SWEEP_MS with a peer marked mine at start');
  second.intros.stop();
});
