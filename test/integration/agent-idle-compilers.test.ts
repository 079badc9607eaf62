/**
 * `clawbridge agent` keeps V8's compilers (TurboFan, and Sparkplug, the baseline one) off while its
 * work comes in short bursts (ADR 0076): a hundred saved peers added and listed over its control socket
 * at a light pace, and nothing compiled by either. Before, TurboFan was on from the agent's start, and a
 * burst like this (or linking eight peers, or a quarter of an hour of two links' heartbeats) compiled a
 * few functions, which kept ~4.5 MB of RSS for the life of the process (the compiler's code pages and
 * its thread's arena); Sparkplug's code of such work was ~1 MB more.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { SPARKPLUG_LINE, startTracedAgent, TURBOFAN_LINE } from '../helpers/traced-agent.js';
import { sleep } from '../helpers/wait.js';

/**
 * Saved peers added, and lists of them asked for, one call every PACE_MS (light work, not busy). A call
 * costs the agent a few ms of CPU (more on a loaded machine), so a 25 ms pace sat near the busy share
 * itself (a quarter of a core) and a loaded CI machine crossed it; at 50 ms a call that grew a few
 * per cent dearer (a guest check, a reach fact) crossed it again on CI with lint beside it, so the
 * pace is 100 ms: a person's pace still, with room for a loaded machine.
 * With V8's defaults (CLAWBRIDGE_V8_DEFAULTS=1) the same calls compile dozens of functions.
 */
const PEERS = 100;
const LISTS = 30;
const PACE_MS = 100;

test('an agent taking a hundred API calls at a light pace compiles nothing with TurboFan or Sparkplug (ADR 0076)', async () => {
  const agent = await startTracedAgent('agent-compilers');
  try {
    const { client } = agent;
    for (let i = 0; i < PEERS; i++) {
      await client.call('peers.add', { fingerprint: randomBytes(32).toString('hex'), name: `off${i}` });
      await sleep(PACE_MS, 'requests spread over time, as a person makes them');
    }
    for (let i = 0; i < LISTS; i++) {
      assert.equal((await client.call('peers.list', {})).length, PEERS);
      await sleep(PACE_MS, 'requests spread over time, as a person makes them');
    }
    const lines = agent.linesSinceStart();
    const optimized = lines.filter((l) => TURBOFAN_LINE.test(l));
    assert.deepEqual(optimized, [], 'functions the agent compiled with TurboFan');
    const baseline = lines.filter((l) => SPARKPLUG_LINE.test(l));
    assert.deepEqual(baseline.slice(0, 5), [], 'functions the agent compiled with Sparkplug (first 5)');
  } finally {
    await agent.stop();
  }
});
