/** PathRetrier: the backoff between attempts on one path to a peer. */
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import {
  ABSENT_PEER_RETRY_MS,
  PathRetrier,
  SHORT_LIVED_LINK_MS,
} from '../../../src-main/links/peer-connector.js';
import { ClawError } from '../../../src-main/core/errors.js';
import type { Link } from '../../../src-main/transport/link.js';

/** A retrier whose every attempt gets a link that the other side closes after `livesMs`. */
function retrierWithLinksThatLive(livesMs: number) {
  let attempts = 0;
  const retrier: PathRetrier = new PathRetrier(
    'relay',
    () => {
      attempts++;
      return Promise.resolve({} as Link);
    },
    () => false,
    () => setTimeout(() => retrier.lost(livesMs), livesMs),
    () => undefined,
  );
  return { retrier, attempts: () => attempts };
}

async function advance(ms: number, step = 100): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    mock.timers.tick(step);
    // Let the attempt's promise settle before the next tick.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

test('links the other side closes at once (not approved, removed) back off like failed attempts', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const { retrier, attempts } = retrierWithLinksThatLive(50);
    retrier.kick();
    await advance(60_000);
    retrier.stop();
    // 1, 2, 4, 8, 16, 30 s (+ up to 20 %) between attempts: at most 7 in a minute, not one a second.
    assert.ok(attempts() >= 5 && attempts() <= 7, `attempts in 60 s: ${attempts()}`);
  } finally {
    mock.timers.reset();
  }
});

test('a link that lived a while is redialled at once when it drops', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const { retrier, attempts } = retrierWithLinksThatLive(SHORT_LIVED_LINK_MS);
    retrier.kick();
    await advance(3 * SHORT_LIVED_LINK_MS + 500);
    retrier.stop();
    assert.equal(attempts(), 4);
  } finally {
    mock.timers.reset();
  }
});

test('an attempt that fails as the one before it did is reported as repeated (the peer state is unchanged)', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const failures = [
      'peer offline',
      'peer offline',
      'relay unreachable',
      'relay unreachable',
      'peer offline',
    ];
    let attempt = 0;
    const reported: { message: string; repeated: boolean }[] = [];
    const retrier = new PathRetrier(
      'relay',
      () => Promise.reject(new Error(failures[Math.min(attempt++, failures.length - 1)])),
      () => false,
      () => undefined,
      (_path, message, repeated) => reported.push({ message, repeated }),
    );
    retrier.kick();
    // 1 + 2 + 4 + 8 s of backoff (+ up to 20 %) between the five attempts.
    await advance(20_000);
    retrier.stop();
    assert.deepEqual(reported.slice(0, 5), [
      { message: 'peer offline', repeated: false },
      { message: 'peer offline', repeated: true },
      { message: 'relay unreachable', repeated: false },
      { message: 'relay unreachable', repeated: true },
      { message: 'peer offline', repeated: false },
    ]);
  } finally {
    mock.timers.reset();
  }
});

/** A relay-path retrier whose every attempt fails with `err`, resting on "not on the relay" as agents do. */
function failingRelayRetrier(err: () => Error) {
  let attempts = 0;
  const retrier = new PathRetrier(
    'relay',
    () => {
      attempts++;
      return Promise.reject(err());
    },
    () => false,
    () => undefined,
    () => undefined,
    (observed) => observed?.kind === 'not-on-relay',
  );
  return { retrier, attempts: () => attempts };
}

test('a peer the relay says is not there is asked again after a rest, not every 30 s; news ends the rest', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const { retrier, attempts } = failingRelayRetrier(
      () => new ClawError('PEER_OFFLINE', 'peer is not connected to the relay'),
    );
    retrier.kick();
    await advance(10 * 60_000, 1000);
    // The first attempt, then one each ABSENT_PEER_RETRY_MS (+ up to 20 %): 2 or 3 in ten minutes
    // (with the 30 s backoff it was 22 or more).
    assert.ok(attempts() >= 2 && attempts() <= 3, `attempts in 10 min: ${attempts()}`);
    assert.ok(ABSENT_PEER_RETRY_MS >= 60_000, 'ABSENT_PEER_RETRY_MS >= 60_000');
    const before = attempts();
    retrier.kick(); // a relay came back, the record changed, an address was learned
    await advance(1000, 100);
    assert.equal(attempts(), before + 1);
    retrier.stop();
  } finally {
    mock.timers.reset();
  }
});

test('other failures keep the backoff: a relay that is down is asked again within 30 s', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const { retrier, attempts } = failingRelayRetrier(
      () => new ClawError('RELAY_UNREACHABLE', 'relay is down'),
    );
    retrier.kick();
    await advance(10 * 60_000, 1000);
    retrier.stop();
    assert.ok(attempts() >= 20, `attempts in 10 min: ${attempts()}`);
  } finally {
    mock.timers.reset();
  }
});

test('a path with nothing to try waits for news instead of a timer', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    let attempts = 0;
    // What the next attempt finds: nothing until an address is learned.
    const next: { link?: Link } = {};
    const linked: Link[] = [];
    const retrier = new PathRetrier(
      'direct',
      () => {
        attempts++;
        return Promise.resolve(next.link);
      },
      () => linked.length > 0,
      (l) => linked.push(l),
      () => undefined,
    );
    retrier.kick();
    await advance(10 * 60_000, 1000);
    assert.equal(attempts, 1, 'no address: one look, then none until something changes');
    next.link = {} as Link;
    retrier.kick(); // an address was learned
    await advance(1000, 100);
    assert.equal(attempts, 2);
    assert.equal(linked.length, 1);
    retrier.stop();
  } finally {
    mock.timers.reset();
  }
});
