import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { until } from '../../helpers/wait.js';

const hook = fileURLToPath(new URL('../../helpers/loaded-packages.mjs', import.meta.url));
const main = fileURLToPath(new URL('../../../src-main/cli/main.ts', import.meta.url));

test('`clawbridge relay` keeps the agent-only packages out (no zod, no conf: ADR 0053), and prom-client until a scrape (ADR 0075)', async () => {
  const home = mkdtempSync(join(tmpdir(), 'cb-relay-modules-'));
  try {
    const relay = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--import',
        hook,
        main,
        'relay',
        '--home',
        join(home, 'r'),
        '--listen',
        '127.0.0.1:0',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    relay.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    relay.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    // 'close', not 'exit': the hook's line is written at exit, and the pipe may still hold it when
    // 'exit' fires (a busy machine reads it later); 'close' comes once stdout and stderr have ended.
    const closed = new Promise((resolve) => relay.once('close', resolve));
    // Bounded: a relay that never says it listens fails here rather than hanging the suite.
    await until(
      'the relay to say it listens',
      () => /relay listening on/.test(out) || relay.exitCode !== null,
      60_000,
    );
    assert.match(out, /relay listening on/, err);
    relay.kill('SIGTERM');
    await closed;
    const line = /^loaded-packages: (.*)$/m.exec(err)?.[1] ?? '';
    const loaded = line.split(',');
    assert.ok(loaded.includes('ws'), `the hook sees packages: ${line}`);
    for (const name of ['zod', 'conf', 'node-pty', 'bonjour-service', 'prom-client']) {
      assert.ok(!loaded.includes(name), `${name} was loaded: ${line}`);
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
