/**
 * The supervisor's decisions with an in-memory agent process (no real process: the full round trip is
 * agent-host.test.ts): the backoff schedule, the reason shown for each kind of failure, and what main
 * sends the process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { RESTART_DELAYS, restartDelayMs } from '../../../src-main/electron/agent-restart.js';
import { startAgentHost, type AgentChildProcess } from '../../../src-main/electron/agent-host.js';
import type { AgentHostState } from '../../../src-main/electron/agent-connection.js';
import { sleep, until } from '../../helpers/wait.js';

test('restart delays: 1, 2, 4, 8, 16, 30, 30 s', () => {
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6, 50].map((n) => restartDelayMs(n)),
    [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000],
  );
  assert.equal(RESTART_DELAYS.stableAfterMs, 60_000);
  assert.throws(() => restartDelayMs(-1), /attempt must be a whole number ≥ 0, got -1/);
  assert.throws(() => restartDelayMs(1.5), RangeError);
});

class MemoryChild extends EventEmitter implements AgentChildProcess {
  readonly pid = 4242;
  readonly sent: unknown[] = [];
  killed = false;
  postMessage(message: unknown): void {
    this.sent.push(message);
    // As the agent process does: told to stop before it runs, it exits (agent-process.ts).
    if ((message as { type?: unknown }).type === 'stop') setImmediate(() => this.emit('exit', 0));
  }
  kill(): boolean {
    this.killed = true;
    setImmediate(() => this.emit('exit', 143));
    return true;
  }
}

function memoryHost(fork: () => MemoryChild, extra: { startTimeoutMs?: number } = {}) {
  const children: MemoryChild[] = [];
  const states: AgentHostState[] = [];
  const conn = startAgentHost(
    {
      utilityProcess: {
        fork: () => {
          const c = fork();
          children.push(c);
          return c;
        },
      },
    },
    {
      home: '/home/me/.config/Clawbridge',
      entry: '/app/agent-process.js',
      identity: () => Promise.resolve({ certPem: 'CERT', keyPem: 'KEY' }),
      restartDelays: { firstMs: 20, maxMs: 40, stableAfterMs: 60_000 },
      log: () => undefined,
      ...extra,
    },
  );
  conn.onHostState((s) => states.push(s));
  return { conn, children, states };
}

test('main sends the start message with the identity; an agent that fails is restarted with its reason', async () => {
  const { conn, children, states } = memoryHost(() => new MemoryChild());
  await until('the start message', () => children[0]?.sent.length);
  assert.deepEqual(children[0]!.sent, [
    { type: 'start', home: '/home/me/.config/Clawbridge', identity: { certPem: 'CERT', keyPem: 'KEY' } },
  ]);
  children[0]!.emit('message', { type: 'nonsense' });
  children[0]!.emit('message', {
    type: 'failed',
    code: 'IDENTITY_INVALID',
    reason: 'identity key must be ECDSA P-256',
  });
  children[0]!.emit('exit', 1);
  const restarting = states.at(-1);
  assert.ok(restarting?.kind === 'restarting', "restarting?.kind === 'restarting'");
  assert.equal(restarting.reason, 'identity key must be ECDSA P-256');
  await until('started again after the delay', () => children.length === 2);
  await conn.stop();
  assert.equal(conn.hostState().kind, 'stopped');
  assert.deepEqual(children[1]!.sent.at(-1), { type: 'stop' }, 'not running yet: told to stop over the port');
});

test('a fork that throws and a process that never says running are retried with the reason', async () => {
  let forks = 0;
  const { conn, children, states } = memoryHost(
    () => {
      if (forks++ === 0) throw new Error('ENOENT: /app/agent-process.js');
      return new MemoryChild();
    },
    { startTimeoutMs: 30 },
  );
  await until('the first restart', () => states.some((s) => s.kind === 'restarting'));
  const first = states.find((s) => s.kind === 'restarting');
  assert.ok(first?.kind === 'restarting', "first?.kind === 'restarting'");
  assert.equal(first.reason, 'the agent process could not be started: ENOENT: /app/agent-process.js');
  await until('a second restart', () => states.filter((s) => s.kind === 'restarting').length > 1);
  assert.equal(children[0]!.killed, true, 'the silent process was ended');
  const second = states.filter((s) => s.kind === 'restarting')[1];
  assert.ok(second?.kind === 'restarting', "second?.kind === 'restarting'");
  assert.match(second.reason, /^the agent did not start within 0.03 s$/);
  await conn.stop();
});

test('an agent that says it is stopping (clawbridge stop) is not started again by itself, only by start()', async () => {
  const { conn, children } = memoryHost(() => new MemoryChild());
  await until('the first fork', () => children.length === 1);
  children[0]!.emit('message', { type: 'stopping' });
  children[0]!.emit('exit', 0);
  await sleep(60, 'longer than the restart delay: nothing may start it again');
  assert.equal(children.length, 1);
  assert.equal(conn.hostState().kind, 'stopped');
  await assert.rejects(
    conn.call('status', {}),
    /the agent has stopped; start it from the tray menu \(Start agent\)/,
  );
  conn.start();
  await until('Start agent forks a new agent process', () => children.length === 2);
  await conn.stop();
});

test('an agent that cannot start because its settings are invalid is not restarted: stopped with the reason, until start()', async () => {
  const { conn, children, states } = memoryHost(() => new MemoryChild());
  await until('the first fork', () => children.length === 1);
  const reason = `settings in /home/me/.config/Clawbridge/config.json are invalid: ${'x'.repeat(150)}`;
  children[0]!.emit('message', { type: 'failed', code: 'CONFIG_INVALID', reason });
  children[0]!.emit('exit', 1);
  await sleep(150, 'several restart delays: nothing may start it again');
  assert.equal(children.length, 1, 'not started again: retrying cannot fix a bad config.json');
  assert.equal(
    states.some((s) => s.kind === 'restarting'),
    false,
  );
  assert.deepEqual(conn.hostState(), { kind: 'stopped', failure: { code: 'CONFIG_INVALID', reason } });
  await assert.rejects(
    conn.call('status', {}),
    (err: Error) =>
      err.message.startsWith(`the agent could not start: ${reason}; fix that`) &&
      err.message.endsWith('start it from the tray menu (Start agent)'),
  );
  conn.start();
  await until('Start agent tries again', () => children.length === 2);
  assert.equal(conn.hostState().kind, 'starting');
  await conn.stop();
});
