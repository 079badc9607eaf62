/**
 * `clawbridge agent` keeps V8's compilers (TurboFan, and Sparkplug, the baseline one) off while its
 * work comes in short bursts (ADR 0076): a hundred saved peers added and listed over its control socket
 * at a light pace, and nothing compiled by either. Before, TurboFan was on from the agent's start, and a
 * burst like this (or linking eight peers, or a quarter of an hour of two links' heartbeats) compiled a
 * few functions, which kept ~4.5 MB of RSS for the life of the process (the compiler's code pages and
 * its thread's arena); Sparkplug's code of such work was ~1 MB more.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ControlClient } from '../../src-main/api/control-client.js';
import { controlSocketPath } from '../../src-main/home/home-dir.js';
import { sleep, until } from '../helpers/wait.js';

const main = fileURLToPath(new URL('../../src-main/cli/main.ts', import.meta.url));

/** Saved peers added, and lists of them asked for, one call every PACE_MS (light work, not busy). */
const PEERS = 100;
const LISTS = 30;
const PACE_MS = 25;

test('an agent taking a hundred API calls at a light pace compiles nothing with TurboFan or Sparkplug (ADR 0076)', async () => {
  const home = mkdtempSync(join(tmpdir(), 'cb-agent-compilers-'));
  // The trace flags name no compiler, so the agent holds and releases them as it does for users.
  const agent = spawn(
    process.execPath,
    [
      '--trace-opt',
      '--trace-baseline-batch-compilation',
      '--import',
      'tsx',
      main,
      'agent',
      '--home',
      home,
      '--name',
      'a',
      '--listen',
      '127.0.0.1:0',
      '--no-ui',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CLAWBRIDGE_LOG: 'warn' } },
  );
  let out = '';
  let err = '';
  agent.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  agent.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise((resolve) => agent.once('exit', resolve));
  try {
    await until('the agent to start', () => /agent a running/.test(out) || agent.exitCode !== null, 60_000);
    assert.ok(agent.exitCode === null, `agent did not start: ${err}`);
    const served = out.length;
    const client = await ControlClient.connect(controlSocketPath(home), home);
    try {
      for (let i = 0; i < PEERS; i++) {
        await client.call('peers.add', { fingerprint: randomBytes(32).toString('hex'), name: `off${i}` });
        await sleep(PACE_MS, 'requests spread over time, as a person makes them');
      }
      for (let i = 0; i < LISTS; i++) {
        assert.equal((await client.call('peers.list', {})).length, PEERS);
        await sleep(PACE_MS, 'requests spread over time, as a person makes them');
      }
    } finally {
      client.close();
    }
    const lines = out.slice(served).split('\n');
    const optimized = lines.filter((l) => /completed optimizing/.test(l));
    assert.deepEqual(optimized, [], 'functions the agent compiled with TurboFan');
    const baseline = lines.filter((l) => /^\[Baseline batch compilation\]/.test(l));
    assert.deepEqual(baseline.slice(0, 5), [], 'functions the agent compiled with Sparkplug (first 5)');
  } finally {
    agent.kill('SIGTERM');
    await exited;
    rmSync(home, { recursive: true, force: true });
  }
});
