/**
 * `clawbridge agent` keeps V8's compilers off until work lasts (ADR 0076), and a burst of messages is
 * such work: a program pipelining a thousand sends (the client library's one `messages.sendMany`) turns
 * them on as it begins (core/work-hooks.ts). Before, the agent waited for busy spans in a row to add up,
 * which a burst of messages ends before: every burst ran on the interpreter from start to end.
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
import { MESSAGES_IN_A_BURST } from '../../src-main/messages/message-burst.js';
import { until } from '../helpers/wait.js';

const main = fileURLToPath(new URL('../../src-main/cli/main.ts', import.meta.url));

test('an agent taking a burst of a thousand messages turns its compilers on (ADR 0076, work announced)', async () => {
  const home = mkdtempSync(join(tmpdir(), 'cb-agent-burst-'));
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
      // A saved peer that is not online: the messages wait in the outbox, as they do for a peer away.
      await client.call('peers.add', { fingerprint: randomBytes(32).toString('hex'), name: 'away' });
      const messages = Array.from({ length: MESSAGES_IN_A_BURST }, (_, i) => ({ text: `job ${i}` }));
      const sent = await client.call('messages.sendMany', { peer: 'away', messages });
      assert.equal(sent.queued.length, MESSAGES_IN_A_BURST);
      // The burst's own work is what the compilers take: nothing more is asked of the agent.
      await until(
        'a function compiled by TurboFan or Sparkplug',
        () =>
          out
            .slice(served)
            .split('\n')
            .some((l) => /completed optimizing|^\[Baseline batch compilation\]/.test(l)),
        30_000,
      );
    } finally {
      client.close();
    }
  } finally {
    agent.kill('SIGTERM');
    await exited;
    rmSync(home, { recursive: true, force: true });
  }
});
