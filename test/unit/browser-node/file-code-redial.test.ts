/**
 * How often and how long the page's code receiver dials a sender that went away (file-code-redial.ts):
 * bounded in count and in time, and not at all past the sender's refusal; a dial that works ends it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BrowserNodeError } from '../../../src-web/node/bytes.js';
import { MAX_REDIALS, REDIAL_FOR_MS, Redials } from '../../../src-web/node/file-code-redial.js';
import { fakeClock } from '../../helpers/fake-clock.js';

/** Runs `redials.dial` on the fake clock until it settles; its outcome and how many dials it made. */
async function run(
  dial: (n: number, clock: ReturnType<typeof fakeClock>) => Promise<void>,
): Promise<{ error?: BrowserNodeError; dials: number; notes: string[]; ms: number }> {
  const clock = fakeClock(1_000_000);
  const redials = new Redials('office', clock);
  let dials = 0;
  let settled: { error?: BrowserNodeError } | undefined;
  const notes: string[] = [];
  redials
    .dial(
      () => dial(++dials, clock),
      () => false,
      (why) => notes.push(why),
    )
    .then(
      () => (settled = {}),
      (error: BrowserNodeError) => (settled = { error }),
    );
  for (let i = 0; i < 1000 && !settled; i++) await clock.runNext();
  assert.ok(settled, 'the dialing ended');
  return { ...settled, dials, notes, ms: clock.now() - 1_000_000 };
}

const offline = () => Promise.reject(new BrowserNodeError('PEER_OFFLINE', 'office is not on the relay'));

test(`the sender never back: given up after ${MAX_REDIALS} dials, saying the last reason`, async () => {
  const r = await run(offline);
  assert.equal(r.dials, MAX_REDIALS, 'the count bounds it');
  assert.equal(r.error?.code, 'TRANSFER_FAILED');
  assert.match(
    r.error?.message ?? '',
    /^lost office 30 times: given up \(last: office is not on the relay\)$/,
  );
  assert.equal(r.notes.length, MAX_REDIALS, 'each failed try was told');
});

test('dials that each take long: given up once the outage lasted REDIAL_FOR_MS', async () => {
  const r = await run((_, clock) => {
    clock.advance(60_000);
    return offline();
  });
  assert.ok(r.dials < MAX_REDIALS, `time bounds it before the count: ${r.dials} dials`);
  assert.ok(r.ms >= REDIAL_FOR_MS && r.ms < REDIAL_FOR_MS + 2 * 60_000, `gave up after ${r.ms} ms`);
  assert.match(r.error?.message ?? '', /^could not reach office again for 10 minutes: given up/);
});

test('the sender refused this node (its offer ended): no dial after that one', async () => {
  const r = await run(() =>
    Promise.reject(
      new BrowserNodeError('HANDSHAKE_FAILED', 'the circuit closed: not let in', 'NOT_APPROVED'),
    ),
  );
  assert.equal(r.dials, 1, 'one dial');
  assert.match(r.error?.message ?? '', /^office no longer takes this receiver: the circuit closed/);
});

test('a dial that works after some that did not ends the dialing', async () => {
  const r = await run((n) => (n < 4 ? offline() : Promise.resolve()));
  assert.equal(r.error, undefined, 'no error');
  assert.equal(r.dials, 4, 'four dials');
});
