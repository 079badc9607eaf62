/**
 * `clawbridge relay` keeps V8's optimizing compiler off while it only waits (ADR 0075): nodes
 * registering, a few circuits and frames between them, and nothing TurboFan-compiled. Before, the
 * relay's first compile came within seconds of a few registrations, and with it ~4.5 MB of RSS for
 * the life of the process (the compiler's code pages and its thread's malloc arena).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { RelayClient } from '../../src-main/transport/relay-client.js';
import { testIdentity } from '../helpers/identities.js';
import { connectedClient, exchange } from '../helpers/relay-harness.js';
import { sleep, until } from '../helpers/wait.js';

const main = fileURLToPath(new URL('../../src-main/cli/main.ts', import.meta.url));

/** Nodes registered, and round trips between pairs of them, paced as light traffic. */
const NODES = 8;
const ROUNDS = 15;
const ROUND_GAP_MS = 40;

test('a relay serving a few idle nodes and circuits compiles nothing with TurboFan (ADR 0075)', async () => {
  const home = mkdtempSync(join(tmpdir(), 'cb-relay-compilers-'));
  // --trace-opt names no compiler, so the relay holds and releases them as it does for users.
  const relay = spawn(
    process.execPath,
    ['--trace-opt', '--import', 'tsx', main, 'relay', '--home', join(home, 'r'), '--listen', '127.0.0.1:0'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CLAWBRIDGE_LOG: 'warn' } },
  );
  let out = '';
  let err = '';
  relay.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  relay.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise((resolve) => relay.once('exit', resolve));
  const clients: RelayClient[] = [];
  try {
    const listening = () => /relay listening on (wss:\/\/\S+) fingerprint ([0-9a-f]{64})/.exec(out);
    await until('the relay to start', () => listening() ?? relay.exitCode !== null, 60_000);
    const m = listening();
    assert.ok(m, `relay did not start: ${err}`);
    const [, url, fingerprint] = m;
    const served = out.length;
    for (let i = 0; i < NODES; i++) {
      clients.push(
        await connectedClient(url!, await testIdentity(`compilers-${i}`), {
          pinnedFingerprint: fingerprint!,
        }),
      );
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i + 1 < NODES; i += 2) await exchange(clients[i]!, clients[i + 1]!);
      await sleep(ROUND_GAP_MS, 'rounds spread over time, as nodes make them');
    }
    const compiled = out
      .slice(served)
      .split('\n')
      .filter((l) => /completed optimizing/.test(l));
    assert.deepEqual(compiled, [], 'functions the idle relay compiled with TurboFan');
  } finally {
    for (const c of clients) c.stop();
    relay.kill('SIGTERM');
    await exited;
    rmSync(home, { recursive: true, force: true });
  }
});
