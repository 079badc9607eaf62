/**
 * The agent supervisor's pure decisions (src-main/electron/agent-host-state.ts): what the tray shows
 * for each state, what follows an exit, the backoff, and the NO_AGENT message; and, checked by tsc,
 * that the states the union rules out do not type-check.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { AgentClient } from '../../../src-main/electron/agent-client.js';
import {
  afterExit,
  clientOf,
  hostStateOf,
  noAgentMessage,
  noteMessage,
  planRestart,
  sameHostState,
  supervises,
  type AgentChildProcess,
  type AgentRun,
  type Supervisor,
} from '../../../src-main/electron/agent-host-state.js';

class StillChild extends EventEmitter implements AgentChildProcess {
  readonly pid = 7;
  postMessage(): void {}
  kill(): boolean {
    return true;
  }
}

const client: AgentClient = {
  call: () => Promise.reject(new Error('not called')),
  onEvent: () => () => undefined,
  openStream: () => Promise.reject(new Error('not called')),
  onClose: () => () => undefined,
  close: () => undefined,
};

function run(extra: Partial<AgentRun> = {}): AgentRun {
  return { proc: new StillChild(), exited: new Promise(() => undefined), stopRequested: false, ...extra };
}

/** A timer handle for a state that carries one; never fires. */
function idleTimer(): NodeJS.Timeout {
  const t = setTimeout(() => undefined, 60_000);
  clearTimeout(t);
  return t;
}

const NOT_RETRIED: ReadonlySet<string> = new Set(['CONFIG_INVALID']);
const DELAYS = { firstMs: 1_000, maxMs: 30_000, stableAfterMs: 60_000 };

test('what the tray shows for each supervisor state', () => {
  const r = run();
  const failure = { code: 'CONFIG_INVALID', reason: 'settings in config.json are invalid' };
  const shown = (s: Supervisor) => hostStateOf(s);
  assert.deepEqual(shown({ state: 'spawning', attempt: 0 }), { kind: 'starting' });
  assert.deepEqual(shown({ state: 'starting', attempt: 0, run: r, startTimer: idleTimer() }), {
    kind: 'starting',
  });
  assert.deepEqual(shown({ state: 'connecting', attempt: 2, run: r }), { kind: 'starting' });
  assert.deepEqual(shown({ state: 'running', attempt: 0, run: r, client, since: 1 }), { kind: 'running' });
  assert.deepEqual(
    shown({ state: 'waiting-to-restart', attempt: 1, timer: idleTimer(), reason: 'it died', retryAt: 5 }),
    { kind: 'restarting', reason: 'it died', retryAt: 5 },
  );
  // No `failure: undefined` key: the tray and tests compare the state as it is.
  assert.deepEqual(shown({ state: 'stopped' }), { kind: 'stopped' });
  assert.deepEqual(shown({ state: 'stopped', failure }), { kind: 'stopped', failure });
  // Quit keeps what the tray showed until the process is gone, then the agent is stopped for good.
  assert.deepEqual(shown({ state: 'quitting', run: r, client }), { kind: 'running' });
  assert.deepEqual(shown({ state: 'quitting', run: r }), { kind: 'starting' });
  assert.deepEqual(shown({ state: 'quit' }), { kind: 'stopped' });
});

test('listeners hear of a change only when what the tray shows changed', () => {
  assert.equal(sameHostState({ kind: 'starting' }, { kind: 'starting' }), true);
  assert.equal(sameHostState({ kind: 'starting' }, { kind: 'running' }), false);
  const restarting = { kind: 'restarting', reason: 'a', retryAt: 1 } as const;
  assert.equal(sameHostState(restarting, { ...restarting }), true);
  assert.equal(sameHostState(restarting, { ...restarting, retryAt: 2 }), false);
  assert.equal(sameHostState(restarting, { ...restarting, reason: 'b' }), false);
  const failure = { code: 'CONFIG_INVALID', reason: 'bad' };
  assert.equal(
    sameHostState({ kind: 'stopped', failure }, { kind: 'stopped', failure: { ...failure } }),
    true,
  );
  assert.equal(sameHostState({ kind: 'stopped', failure }, { kind: 'stopped' }), false);
});

test('the process and the client belong to the states that have them', () => {
  const r = run();
  assert.equal(supervises({ state: 'connecting', attempt: 0, run: r }, r.proc), true);
  assert.equal(supervises({ state: 'connecting', attempt: 0, run: r }, new StillChild()), false);
  assert.equal(supervises({ state: 'quitting', run: r }, r.proc), true);
  assert.equal(supervises({ state: 'stopped' }, r.proc), false);
  assert.equal(clientOf({ state: 'running', attempt: 0, run: r, client, since: 0 }), client);
  assert.equal(clientOf({ state: 'quitting', run: r, client }), client);
  assert.equal(clientOf({ state: 'connecting', attempt: 0, run: r }), undefined);
});

test("the agent's messages are folded into its run without changing the old one", () => {
  const before = run();
  const failed = noteMessage(before, { type: 'failed', code: 'IDENTITY_INVALID', reason: 'not P-256' });
  assert.deepEqual(failed.failure, { code: 'IDENTITY_INVALID', reason: 'not P-256' });
  assert.equal(failed.reason, 'not P-256');
  assert.equal(failed.proc, before.proc);
  assert.equal(noteMessage(failed, { type: 'stopping' }).stopRequested, true);
  assert.equal(before.failure, undefined);
  assert.equal(before.stopRequested, false);
});

test('after an exit: a requested stop stays stopped, a bad config waits for the user, the rest restarts', () => {
  const configInvalid = { code: 'CONFIG_INVALID', reason: 'settings are invalid' };
  assert.deepEqual(afterExit(run({ stopRequested: true }), 0, NOT_RETRIED), { next: 'stopped' });
  // The agent was asked to stop: that wins over a failure it reported before.
  assert.deepEqual(afterExit(run({ stopRequested: true, failure: configInvalid }), 1, NOT_RETRIED), {
    next: 'stopped',
  });
  assert.deepEqual(afterExit(run({ failure: configInvalid, reason: configInvalid.reason }), 1, NOT_RETRIED), {
    next: 'stopped',
    failure: configInvalid,
  });
  assert.deepEqual(
    afterExit(
      run({ failure: { code: 'HOME_LOCKED', reason: 'an agent is already running' }, reason: 'x' }),
      1,
      NOT_RETRIED,
    ),
    { next: 'restart', reason: 'x' },
  );
  // Main's own reason (a start deadline, a lost socket) is shown rather than the exit code.
  assert.deepEqual(afterExit(run({ reason: 'the agent did not start within 60 s' }), 143, NOT_RETRIED), {
    next: 'restart',
    reason: 'the agent did not start within 60 s',
  });
  assert.deepEqual(afterExit(run(), 137, NOT_RETRIED), {
    next: 'restart',
    reason: 'the agent process ended unexpectedly (exit code 137)',
  });
});

test('backoff: each failure waits twice as long, up to the maximum; a long run starts it over', () => {
  const now = 1_000_000;
  let attempt = 0;
  const waits: number[] = [];
  for (let i = 0; i < 7; i++) {
    const plan = planRestart(attempt, undefined, now, DELAYS);
    assert.equal(plan.retryAt, now + plan.delayMs);
    waits.push(plan.delayMs);
    attempt = plan.nextAttempt;
  }
  assert.deepEqual(waits, [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  // A run shorter than stableAfterMs is part of the loop; one at least that long was a good run.
  assert.deepEqual(planRestart(5, now - 59_999, now, DELAYS), {
    delayMs: 30_000,
    retryAt: now + 30_000,
    nextAttempt: 6,
  });
  assert.deepEqual(planRestart(5, now - 60_000, now, DELAYS), {
    delayMs: 1_000,
    retryAt: now + 1_000,
    nextAttempt: 1,
  });
});

test('a call without an agent says why and what to do', () => {
  assert.equal(noAgentMessage({ kind: 'starting' }), 'the agent is starting; try again in a moment');
  assert.equal(
    noAgentMessage({ kind: 'restarting', reason: 'it died', retryAt: 0 }),
    'the agent is restarting (it died); try again in a moment',
  );
  assert.equal(
    noAgentMessage({ kind: 'stopped' }),
    'the agent has stopped; start it from the tray menu (Start agent)',
  );
  assert.equal(
    noAgentMessage({ kind: 'stopped', failure: { code: 'CONFIG_INVALID', reason: 'bad config' } }),
    'the agent could not start: bad config; fix that, then start it from the tray menu (Start agent)',
  );
});

test('states the supervisor cannot be in do not type-check', () => {
  const r = run();
  const impossible: Supervisor[] = [
    // @ts-expect-error a client without a process
    { state: 'running', attempt: 0, client, since: 0 },
    // @ts-expect-error a restart timer while the agent runs
    { state: 'running', attempt: 0, run: r, client, since: 0, timer: idleTimer() },
    // @ts-expect-error a start deadline once it said it runs
    { state: 'connecting', attempt: 0, run: r, startTimer: idleTimer() },
    // @ts-expect-error a process while waiting to restart
    { state: 'waiting-to-restart', attempt: 1, timer: idleTimer(), reason: 'x', retryAt: 0, run: r },
    // @ts-expect-error a stopped agent with a process
    { state: 'stopped', run: r },
    // @ts-expect-error restarting without a reason to show
    { state: 'waiting-to-restart', attempt: 1, timer: idleTimer(), retryAt: 0 },
  ];
  // Checked by tsc; at run time these are only objects.
  assert.equal(impossible.length, 6);
});
