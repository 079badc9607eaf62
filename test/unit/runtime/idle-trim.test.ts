import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { KEEP_V8_DEFAULTS_ENV } from '../../../src-main/runtime/gc-tuning.js';
import {
  TRIM_NEW_SPACE_ABOVE_BYTES,
  TRIM_SLACK_BYTES,
  worthTrimming,
} from '../../../src-main/runtime/idle-trim.js';
import { bundledEntry } from '../../helpers/bundled-entry.js';

// Bundled from the source for plain Node (test/helpers/bundled-entry.ts): a child under tsx costs
// ~0.6 CPU-s more.
const script = await bundledEntry(
  fileURLToPath(new URL('../../helpers/idle-trim-child.ts', import.meta.url)),
);

interface Held {
  newSpaceBytes: number;
  newSpaceDuringBytes: number;
  newSpaceAgainBytes?: number;
  poolIdle: number;
  usedBytes: number;
  committedBytes: number;
  externalBytes: number;
  usedWithCode?: number;
}

/** What a child holds once quiet (test/helpers/idle-trim-child.ts) under `env`. */
function heldWhenQuiet(env: NodeJS.ProcessEnv, mode: 'pool' | 'buffers' | 'code' | 'burst' = 'pool'): Held {
  const r = spawnSync(process.execPath, ['--expose-gc', script, mode], {
    encoding: 'utf8',
    env: { ...process.env, [KEEP_V8_DEFAULTS_ENV]: undefined, ...env },
    // A child waits out quiet spells of seconds; at a load of 30 one took over 60 s. The bound only
    // catches a hang.
    timeout: 240_000,
  });
  assert.equal(
    r.status,
    0,
    `the child ${r.signal ? `was killed (${r.signal})` : `exited ${r.status}`}: ${r.stderr}`,
  );
  return JSON.parse(r.stdout) as Held;
}

const MiB = 1024 * 1024;

/**
 * The tuned child in mode `pool`, which two tests read: once for what it holds when quiet, once for
 * how little its young generation grew during the churn. A child is seconds of CPU; one serves both.
 */
let tunedPool: Held | undefined;
const tunedPoolHeld = (): Held => (tunedPool ??= heldWhenQuiet({}));

test('a quiet process gives back its pools, a young generation grown by churn and free heap pages', () => {
  // The control: with V8's defaults (no tuning, no trim) the same churn grows the young generation to
  // many MiB and the pool keeps its free buffers, as every clawbridge process did before ADR 0053.
  const untouched = heldWhenQuiet({ [KEEP_V8_DEFAULTS_ENV]: '1' });
  assert.ok(untouched.newSpaceBytes > 8 * MiB, JSON.stringify(untouched));
  assert.equal(untouched.poolIdle, 4);

  const tuned = tunedPoolHeld();
  // 1 MiB a semispace, or 2 when loading the script's modules grew it before it set the factor.
  assert.ok(tuned.newSpaceBytes <= 4 * MiB, JSON.stringify(tuned));
  assert.equal(tuned.poolIdle, 0, 'the pool let go of its free buffers');
  assert.ok(tuned.committedBytes - tuned.usedBytes < TRIM_SLACK_BYTES + 2 * MiB, JSON.stringify(tuned));
});

test('a burst of work lets the young generation grow; the trim after it shrinks it and holds it small again', () => {
  // ADR 0104: a burst's objects outlive a 1 MiB young generation, which promoted them all.
  const held = heldWhenQuiet({}, 'burst');
  assert.ok(held.newSpaceDuringBytes > 8 * MiB, `grown during the burst: ${JSON.stringify(held)}`);
  assert.ok(held.newSpaceBytes <= 4 * MiB, `shrunk once quiet: ${JSON.stringify(held)}`);
  assert.ok(held.newSpaceAgainBytes! <= 4 * MiB, `held small after it: ${JSON.stringify(held)}`);
  // Unannounced, the same churn keeps it small (the first test's child).
  const quiet = tunedPoolHeld();
  assert.ok(quiet.newSpaceDuringBytes <= 4 * MiB, `no burst, no growth: ${JSON.stringify(quiet)}`);
});

test('Buffers that died in the old generation are freed once the process is quiet', () => {
  const tuned = heldWhenQuiet({}, 'buffers');
  assert.ok(tuned.externalBytes < 8 * MiB, JSON.stringify(tuned));
});

test('the trim flushes the bytecode of functions that ran once and not since', () => {
  // 3,000 functions compiled and run once hold a few MiB of bytecode; two full collections of the
  // churn after them age it, and the trim's collections flush it (V8's own threshold is five).
  const held = heldWhenQuiet({}, 'code');
  const flushed = held.usedWithCode! - held.usedBytes;
  assert.ok(flushed > 1 * MiB, `flushed ${flushed} bytes: ${JSON.stringify(held)}`);
});

test('worth a trim: the first quiet spell, buffers let go of, a grown young generation, free pages or Buffers grown beyond the slack', () => {
  const quiet = {
    firstTrim: false,
    newSpaceBytes: 2 * MiB,
    committedBytes: 20 * MiB,
    usedBytes: 19 * MiB,
    releasedBytes: 0,
    externalBytes: 5 * MiB,
    externalAfterLastTrimBytes: 3 * MiB,
  };
  assert.equal(worthTrimming(quiet), false);
  assert.equal(worthTrimming({ ...quiet, firstTrim: true }), true, 'the first quiet spell always collects');
  assert.equal(worthTrimming({ ...quiet, externalBytes: 3 * MiB + TRIM_SLACK_BYTES + 1 }), true);
  assert.equal(worthTrimming({ ...quiet, releasedBytes: 1 }), true);
  assert.equal(worthTrimming({ ...quiet, newSpaceBytes: TRIM_NEW_SPACE_ABOVE_BYTES + 1 }), true);
  assert.equal(worthTrimming({ ...quiet, committedBytes: quiet.usedBytes + TRIM_SLACK_BYTES + 1 }), true);
});
