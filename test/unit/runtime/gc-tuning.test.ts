import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  INCREMENTAL_MARKING_ABOVE_BYTES,
  KEEP_V8_DEFAULTS_ENV,
  NO_INCREMENTAL_MARKING_BELOW_BYTES,
  wantIncrementalMarking,
} from '../../../src-main/runtime/gc-tuning.js';
import { bundledEntry } from '../../helpers/bundled-entry.js';

// Bundled from the source for plain Node (test/helpers/bundled-entry.ts): a child under tsx costs
// ~0.6 CPU-s more.
const script = await bundledEntry(fileURLToPath(new URL('../../helpers/gc-kinds.ts', import.meta.url)));
type Mode = 'tuned' | 'untouched' | 'big-heap';

/** GC kinds V8 ran in a child (see test/helpers/gc-kinds.ts) under `env`. */
function gcKinds(env: NodeJS.ProcessEnv, mode: Mode = 'tuned'): Record<string, number> {
  const r = spawnSync(process.execPath, [script, mode], {
    encoding: 'utf8',
    env: { ...process.env, [KEEP_V8_DEFAULTS_ENV]: undefined, ...env },
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, number>;
}

test('with the tuning, bulk Buffer churn runs no incremental marking; with V8 defaults it does', () => {
  const defaults = gcKinds({}, 'untouched');
  assert.ok(
    (defaults.incremental ?? 0) > 0,
    `control: V8 defaults mark incrementally (${JSON.stringify(defaults)})`,
  );
  const tuned = gcKinds({});
  assert.equal(tuned.incremental ?? 0, 0, JSON.stringify(tuned));
  assert.ok((tuned.major ?? 0) > 0, 'memory is still collected, by full collections');
});

test('a large heap brings incremental marking back, so full-heap pauses stay short', () => {
  const big = gcKinds({}, 'big-heap');
  assert.ok((big.incremental ?? 0) > 0, JSON.stringify(big));
});

test(`${KEEP_V8_DEFAULTS_ENV}=1 keeps V8's defaults`, () => {
  const kept = gcKinds({ [KEEP_V8_DEFAULTS_ENV]: '1' });
  assert.ok((kept.incremental ?? 0) > 0, JSON.stringify(kept));
});

test('incremental marking: on above the high mark, off below the low mark, unchanged between', () => {
  const mid = (INCREMENTAL_MARKING_ABOVE_BYTES + NO_INCREMENTAL_MARKING_BELOW_BYTES) / 2;
  assert.equal(wantIncrementalMarking(false, INCREMENTAL_MARKING_ABOVE_BYTES + 1), true);
  assert.equal(wantIncrementalMarking(true, NO_INCREMENTAL_MARKING_BELOW_BYTES - 1), false);
  assert.equal(wantIncrementalMarking(true, mid), true);
  assert.equal(wantIncrementalMarking(false, mid), false);
});
