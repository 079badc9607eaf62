/**
 * After a round of simultaneous opens gives up, the pair is not relayed for good (links/traversal.ts,
 * punch-rounds.ts): a new round starts on a backoff when the owner used the pair during the wait
 * (docs/adr/0103-use-over-the-wait.md), at once when the peer names its candidates again or the owner
 * asks (`peers retry`), and never past the peer's budget. The far end here never answers an offer, so
 * every open fails by its answer timeout, on a fake clock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateIdentity } from '../../../src-main/crypto/identity.js';
import { MAX_PUNCH_ATTEMPTS } from '../../../src-main/links/traversal.js';
import {
  FIRST_RETRY_AFTER_GIVE_UP_MS,
  RETRY_ROUND_ATTEMPTS,
  retryAfterGiveUpMs,
} from '../../../src-main/links/punch-rounds.js';
import { relayReason } from '../../../src-main/links/peer-state.js';
import { fakeClock, type FakeClock } from '../../helpers/fake-clock.js';
import { traverseFixture } from './traverse-fixture.js';
import { until } from '../../helpers/wait.js';

const identity = await generateIdentity('traverse-retry');

function coordinator(clock: FakeClock, opts: { budget: { left: number }; uses?: () => number }) {
  const far = traverseFixture(identity, true, opts.budget, {
    budgetWaitMs: () => (opts.budget.left > 0 ? 0 : 60_000),
    ...(opts.uses ? { uses: opts.uses } : {}),
    timers: clock,
  });
  const offers = () => far.heard.filter((m) => m.t === 'connect').length;
  return { ...far, offers };
}

const candidates = { t: 'candidates', nat: 'preserves-port', mapped: null, hosts: ['11.2.0.2'] };

/** Runs the session's timers until `done` (each offer's free port is found on the real clock first). */
async function runUntil(clock: FakeClock, what: string, done: () => boolean): Promise<void> {
  for (let i = 0; i < 50 && !done(); i++) {
    await until(`a timer set (${what})`, () => clock.pending() > 0);
    await clock.runNext();
  }
  assert.ok(done(), what);
}

test('a given-up round is tried again after the backoff while the pair is in use', async () => {
  const clock = fakeClock(1_000_000);
  const c = coordinator(clock, { budget: { left: 100 } });
  c.say(candidates);
  await runUntil(clock, 'the first round given up', () => c.state.gaveUp !== undefined);
  assert.equal(c.offers(), MAX_PUNCH_ATTEMPTS);
  assert.equal(c.state.nextTryAt, clock.now() + FIRST_RETRY_AFTER_GIVE_UP_MS);
  // `peers` says when (peer-state.ts), and how to try now.
  const why = relayReason({
    now: clock.now(),
    peer: { name: 'b', fingerprint: 'cd'.repeat(32) },
    direct: {},
    relay: {},
    relays: [],
    addressesKnown: 0,
    directOffHere: false,
    directOffThere: false,
    homeRelayKnown: false,
    traversal: {
      chance: 'simultaneous-open',
      why: 'both NATs keep ports',
      gaveUp: c.state.gaveUp,
      nextTryAt: c.state.nextTryAt,
    },
  });
  assert.match(why, /next try in 60 s \(`peers retry` tries now\)$/);

  await runUntil(clock, 'the second round given up', () => c.state.roundsGivenUp === 2);
  assert.equal(c.offers(), MAX_PUNCH_ATTEMPTS + RETRY_ROUND_ATTEMPTS);
  assert.equal(c.state.nextTryAt, clock.now() + retryAfterGiveUpMs(2), 'the wait doubles');
  c.s.destroy();
});

test('while the owner does not use the pair, the backoff comes and goes without an open', async () => {
  const clock = fakeClock(1_000_000);
  let uses = 0;
  const c = coordinator(clock, { budget: { left: 100 }, uses: () => uses });
  c.say(candidates);
  // Used before the round gave up: that is before the wait, and does not count for it.
  uses += 5;
  await runUntil(clock, 'the first round given up', () => c.state.gaveUp !== undefined);
  for (let wait = 1; wait <= 3; wait++) {
    await clock.runNext();
    assert.equal(c.offers(), MAX_PUNCH_ATTEMPTS, `no use during wait ${wait}: no open`);
    assert.equal(c.state.nextTryAt, clock.now() + FIRST_RETRY_AFTER_GIVE_UP_MS, 'it waits again');
  }
  c.s.destroy();
});

test('one short use at any moment of the wait starts the next round when it is due', async () => {
  const clock = fakeClock(1_000_000);
  let uses = 0;
  const c = coordinator(clock, { budget: { left: 100 }, uses: () => uses });
  c.say(candidates);
  await runUntil(clock, 'the first round given up', () => c.state.gaveUp !== undefined);
  const due = c.state.nextTryAt!;
  // A forwarded request 10 s into the wait, over long before the round is due: nothing is open then.
  clock.advance(10_000);
  uses++;
  assert.equal(c.offers(), MAX_PUNCH_ATTEMPTS, 'a use starts no round before it is due');
  await runUntil(clock, 'an open once the round is due', () => c.offers() > MAX_PUNCH_ATTEMPTS);
  assert.ok(clock.now() >= due, 'the round started when it was due, not at the use');
  c.s.destroy();
});

test('the owner’s pings count, here or told by the peer (`used`); the other side tells of its own', async () => {
  const clock = fakeClock(1_000_000);
  const c = coordinator(clock, { budget: { left: 100 }, uses: () => 0 });
  c.say(candidates);
  await runUntil(clock, 'the first round given up', () => c.state.gaveUp !== undefined);
  await clock.runNext();
  assert.equal(c.offers(), MAX_PUNCH_ATTEMPTS, 'unused: no open');
  c.session.noteUse();
  await runUntil(clock, 'an open after a ping here', () => c.offers() > MAX_PUNCH_ATTEMPTS);
  await runUntil(clock, 'that round given up', () => c.state.roundsGivenUp === 2);
  const afterSecond = c.offers();
  await clock.runNext();
  assert.equal(c.offers(), afterSecond, 'unused again: no open');
  c.say({ t: 'used' });
  await runUntil(clock, 'an open after the peer’s ping', () => c.offers() > afterSecond);
  c.s.destroy();

  // The side that does not coordinate tells its pings, to a peer that takes the line, while relayed.
  const heard = (o: { peerHearsUse: boolean; direct?: boolean }) => {
    const other = traverseFixture(
      identity,
      false,
      { left: 100 },
      {
        peerHearsUse: o.peerHearsUse,
        directUp: () => o.direct === true,
        timers: clock,
      },
    );
    other.session.noteUse();
    other.s.destroy();
    return other.heard.filter((m) => m.t === 'used').length;
  };
  assert.equal(heard({ peerHearsUse: true }), 1, 'told to a peer that takes `used`');
  assert.equal(heard({ peerHearsUse: false }), 0, 'an older peer would end the stream on it');
  assert.equal(heard({ peerHearsUse: true, direct: true }), 0, 'nothing to tell once direct');
});

test('candidates told again, or the owner asking, start a round at once; the budget still holds', async () => {
  const clock = fakeClock(1_000_000);
  const budget = { left: MAX_PUNCH_ATTEMPTS + 2 };
  const c = coordinator(clock, { budget });
  c.say(candidates);
  await runUntil(clock, 'the first round given up', () => c.state.gaveUp !== undefined);
  const givenUpAt = clock.now();

  c.say(candidates);
  await until('a new round', () => c.state.gaveUp === undefined);
  await clock.runNext();
  await until('an offer with no time gone by', () => c.offers() === MAX_PUNCH_ATTEMPTS + 1);
  assert.equal(clock.now(), givenUpAt);
  await runUntil(clock, 'that round given up', () => c.state.gaveUp !== undefined);

  c.session.retryNow();
  await clock.runNext();
  await until('the budget says no', () => /the most it may cost/.test(c.state.gaveUp ?? ''));
  assert.equal(c.offers(), MAX_PUNCH_ATTEMPTS + 2, 'no open past the budget');
  assert.equal(c.state.nextTryAt, clock.now() + 60_000, 'the next try is when the budget allows one');
  c.s.destroy();
});
