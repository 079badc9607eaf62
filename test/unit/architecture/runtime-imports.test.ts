/**
 * runtime/ (V8 flags, compiler tiers, GC tuning, idle trims) is imported by entry points only: lint
 * refuses it from a library folder. The probe lints a real library file with one import added, as a
 * developer's editor would, and expects the layer rule to name it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { layerMessages } from '../../helpers/layer-lint.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

async function layerErrors(file: string, importLine: string): Promise<string[]> {
  const text = `${importLine}\nvoid startupOver;\n${readFileSync(`${root}/${file}`, 'utf8')}`;
  return (await layerMessages(file, text)).map((m) => m.message);
}

test('an import of runtime/ from mux/ fails lint', async () => {
  const errors = await layerErrors(
    'src-main/mux/constants.ts',
    "import { startupOver } from '../runtime/compiler-tiers.js';",
  );
  assert.equal(errors.length, 1, 'the layer rule refuses it');
  assert.match(errors[0]!, /mux points up the layer order/);
});

test('an import of runtime/ from the composition root fails lint too', async () => {
  const errors = await layerErrors(
    'src-main/app/run-agent.ts',
    "import { startupOver } from '../runtime/compiler-tiers.js';",
  );
  assert.equal(errors.length, 1);
});

test('the CLI, an entry point, may import runtime/', async () => {
  const errors = await layerErrors(
    'src-main/messages/cli/msg-commands.ts',
    "import { startupOver as s2 } from '../runtime/compiler-tiers.js';\nconst startupOver = s2;",
  );
  assert.deepEqual(errors, []);
});
