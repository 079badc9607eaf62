import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { nodeArgsFor } from '../../helpers/transpiled.js';

const hook = fileURLToPath(new URL('../../helpers/loaded-packages.mjs', import.meta.url));
const child = fileURLToPath(new URL('../../helpers/open-settings-child.ts', import.meta.url));

test('reading the settings loads neither conf nor ajv (an agent keeps what it loads: ADR 0053)', () => {
  const home = mkdtempSync(join(tmpdir(), 'cb-settings-modules-'));
  try {
    writeFileSync(join(home, 'config.json'), JSON.stringify({ name: 'laptop' }), { mode: 0o600 });
    const r = spawnSync(process.execPath, [...nodeArgsFor(child, ['--import', hook]), home], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { name: 'laptop' });
    const line = /^loaded-packages: (.*)$/m.exec(r.stderr);
    assert.ok(line, r.stderr);
    const loaded = line[1]!.split(',');
    assert.ok(loaded.includes('zod'), `the hook sees packages: ${line[1]}`);
    for (const name of ['conf', 'ajv', 'ajv-formats', 'atomically']) {
      assert.ok(!loaded.includes(name), `${name} was loaded: ${line[1]}`);
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
