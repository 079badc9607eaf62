import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { madeOnUse } from '../../../src-main/core/made-on-use.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

test('made on first use, the same value while it is held, made again once collected', async () => {
  let made = 0;
  const get = madeOnUse(() => ({ n: ++made }));
  assert.equal(made, 0, 'nothing made before the first use');
  let first: { n: number } | undefined = get();
  assert.equal(get(), first, 'the same value while something holds it');
  assert.equal(made, 1);
  first = undefined;
  // A WeakRef's target stays for the rest of the job that made or read it.
  for (let i = 0; i < 10 && made === 1; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    get();
  }
  assert.equal(made, 2, 'made again after the collector took it');
});
