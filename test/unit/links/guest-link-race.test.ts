/**
 * How a code's receiver picks its link to the sender (links/guest-dial.ts firstGuestLink, ADR 0124
 * decision 3): the sender's direct addresses in turn, a short delay apart, the relay a quarter second
 * after the first of them however many there are, or as soon as they all failed; the first link up
 * wins and every later one is closed; when all fail, a refusal from the sender speaks for them, else
 * the relay's error.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClawError } from '../../../src-main/core/errors.js';
import { ATTEMPT_DELAY_MS } from '../../../src-main/core/staggered-race.js';
import { DIRECT_ATTEMPT_DELAY_MS, firstGuestLink } from '../../../src-main/links/guest-dial.js';
import { sleep, until } from '../../helpers/wait.js';

/** A link of the test's: which way it came, and why it was closed if it was. */
class FakeLink {
  closed: string | undefined;
  constructor(readonly way: string) {}
  close(reason: string): void {
    this.closed = reason;
  }
}

/** A dial that never answers (a blackholed address). */
const never = () => new Promise<FakeLink>(() => undefined);
/** A dial that settles `ms` later with `value()` (a throw in it rejects): a slow network's. */
const after = <T>(ms: number, value: () => T) => sleep(ms, 'a dial that answers later').then(value);

test('a direct address that answers wins, and the relay is never dialed when it answered first', async () => {
  const dialed: string[] = [];
  let relayed = 0;
  const link = await firstGuestLink({
    addresses: ['192.0.2.1:7475', '10.0.0.2:7475'],
    dial: (address) => {
      dialed.push(address);
      return address === '10.0.0.2:7475' ? Promise.resolve(new FakeLink(address)) : never();
    },
    relayed: () => {
      relayed++;
      return Promise.resolve(new FakeLink('relay'));
    },
  });
  assert.equal(link.way, '10.0.0.2:7475');
  assert.deepEqual(dialed, ['192.0.2.1:7475', '10.0.0.2:7475'], 'the next address after the silent one');
  assert.equal(relayed, 0, 'the relay waits for its turn, which a direct link took first');
});

test('addresses that go unanswered hold the relay back by one delay, however many they are', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let relayed = 0;
  const dialed: string[] = [];
  const racing = firstGuestLink({
    addresses: Array.from({ length: 8 }, (_, i) => `192.0.2.${i + 1}:7475`),
    dial: (address) => {
      dialed.push(address);
      return never();
    },
    relayed: () => {
      relayed++;
      return Promise.resolve(new FakeLink('relay'));
    },
  });
  const settle = async () => {
    for (let i = 0; i < 10; i++) await Promise.resolve();
  };
  await settle();
  assert.deepEqual(dialed, ['192.0.2.1:7475'], 'the best address first, alone');
  t.mock.timers.tick(DIRECT_ATTEMPT_DELAY_MS);
  await settle();
  assert.equal(dialed.length, 2, 'the next one a short delay later: one link for a host at several');
  assert.equal(relayed, 0, 'the relay waits its one delay');
  t.mock.timers.tick(ATTEMPT_DELAY_MS - DIRECT_ATTEMPT_DELAY_MS);
  await settle();
  assert.equal(relayed, 1, 'dialed one delay after the first address: not after all eight had their turn');
  assert.equal((await racing).way, 'relay');
});

test('direct addresses that all fail hand over to the relay at once; a late direct link is closed', async () => {
  const late = new FakeLink('late direct');
  const link = await firstGuestLink({
    addresses: ['192.0.2.1:7475', '192.0.2.2:7475'],
    dial: (address) =>
      address.endsWith('1:7475')
        ? Promise.reject(new ClawError('LINK_CLOSED', 'refused'))
        : after(5, () => {
            throw new ClawError('TIMEOUT', 'timed out');
          }),
    relayed: () => Promise.resolve(new FakeLink('relay')),
  });
  assert.equal(link.way, 'relay');

  const won = await firstGuestLink({
    addresses: ['192.0.2.3:7475'],
    dial: () => after(400, () => late),
    relayed: () => Promise.resolve(new FakeLink('relay')),
  });
  assert.equal(won.way, 'relay', 'the relay came up first');
  await until('the direct link that came up later to be closed', () => late.closed !== undefined);
  assert.equal(late.closed, 'duplicate');
});

test("when every way fails: the sender's refusal if it said no, else the relay's error", async () => {
  const refused = new ClawError('UNKNOWN_PEER', 'sender refused the link: the offer ended', {
    refusal: 'REMOVED',
  });
  await assert.rejects(
    firstGuestLink({
      addresses: ['192.0.2.1:7475'],
      dial: () => Promise.reject(refused),
      relayed: () => Promise.reject(new ClawError('PEER_OFFLINE', 'the sender is not on the relay')),
    }),
    (err) => err === refused,
  );
  await assert.rejects(
    firstGuestLink({
      addresses: ['192.0.2.1:7475'],
      dial: () => Promise.reject(new ClawError('TIMEOUT', 'timed out')),
      relayed: () => Promise.reject(new ClawError('PEER_OFFLINE', 'the sender is not on the relay')),
    }),
    /the sender is not on the relay/,
  );
  await assert.rejects(
    firstGuestLink({
      addresses: [],
      dial: never,
      relayed: () => Promise.reject(new ClawError('PEER_OFFLINE', 'the sender is not on the relay')),
    }),
    /the sender is not on the relay/,
  );
});
