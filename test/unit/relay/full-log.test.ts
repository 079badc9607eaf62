/**
 * What the relay says when full (relay/full-log.ts) and when it collects after a burst of registrations
 * (relay/registration-trim.ts), on a fake clock with a log that keeps its lines.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import type { FullReason } from '../../../src-main/relay/capacity.js';
import { FULL_LOG_EVERY_MS, RelayFullLog } from '../../../src-main/relay/full-log.js';
import { RelayMetrics } from '../../../src-main/relay/metrics.js';
import { RegistrationTrim, TRIM_AFTER_REGISTRATIONS } from '../../../src-main/relay/registration-trim.js';
import { IDLE_TRIM_AFTER_MS } from '../../../src-main/core/idle-hooks.js';
import { fakeClock } from '../../helpers/fake-clock.js';

/** A pino logger whose lines are kept, parsed. */
function keptLog() {
  const lines: { msg: string; refusedSinceLastLine?: number; registrations?: number }[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]);
      done();
    },
  });
  return { log: pino({ level: 'debug' }, out), lines };
}

const flushed = () => new Promise<void>((resolve) => setImmediate(resolve));

function metrics(): RelayMetrics {
  const zero = () => 0;
  return new RelayMetrics({
    connections: zero,
    nodes: zero,
    circuits: zero,
    splices: zero,
    countPiped: () => undefined,
    nodeCapacity: zero,
    openFds: zero,
  });
}

test('full: said at once, then once a minute with the count refused meanwhile, and once when there is room again', async () => {
  const clock = fakeClock(1_000_000);
  const { log, lines } = keptLog();
  let refusal: FullReason | undefined = 'nodes';
  const m = metrics();
  const full = new RelayFullLog(
    m,
    log,
    { describe: () => 'at its cap', refusal: () => refusal, canAccept: () => true },
    () => 7,
    clock.now,
  );
  full.refused('nodes');
  for (let i = 0; i < 5; i++) full.refused('nodes');
  await flushed();
  assert.equal(
    lines.filter((l) => l.msg.startsWith('relay full')).length,
    1,
    'one line for a burst of refusals',
  );
  assert.equal(full.isFull, true, 'full while refusing');
  full.check();
  assert.equal(full.isFull, true, 'still full while capacity refuses');
  clock.advance(FULL_LOG_EVERY_MS);
  full.refused('nodes');
  await flushed();
  const again = lines.filter((l) => l.msg.startsWith('relay full'));
  assert.equal(again.length, 2, 'said again after a minute');
  assert.equal(again[1]!.refusedSinceLastLine, 5, 'with the count refused since the last line');
  refusal = undefined;
  full.check();
  await flushed();
  assert.equal(full.isFull, false, 'room again');
  assert.ok(
    lines.some((l) => l.msg === 'relay has room again: taking new nodes'),
    'and says so',
  );
  assert.match((await m.scrape()).body, /clawbridge_relay_full 0/, 'the gauge is back to 0');
});

test('registration trim: collects once a burst of registrations has stopped, not during it, and only once', async () => {
  const clock = fakeClock(1_000_000);
  const { log, lines } = keptLog();
  let trims = 0;
  const trim = new RegistrationTrim(
    log,
    () => {
      trims++;
      return { releasedBytes: 0, collected: true };
    },
    () => 0,
  );
  for (let i = 0; i < TRIM_AFTER_REGISTRATIONS; i++) trim.registered(clock.now());
  trim.check(clock.now());
  assert.equal(trims, 0, 'not while registrations still come');
  clock.advance(IDLE_TRIM_AFTER_MS);
  trim.check(clock.now());
  assert.equal(trims, 1, 'once they stopped');
  assert.equal(
    trim.releaseIdle(),
    TRIM_AFTER_REGISTRATIONS,
    'the idle trim is told there is garbage to collect',
  );
  assert.equal(trim.releaseIdle(), 0, 'and only once');
  clock.advance(IDLE_TRIM_AFTER_MS);
  trim.check(clock.now());
  assert.equal(trims, 1, 'no second trim without new registrations');
  await flushed();
  assert.equal(
    lines.find((l) => l.registrations !== undefined)?.registrations,
    TRIM_AFTER_REGISTRATIONS,
    'logged',
  );
});
