/**
 * The two utility-process ends of the desktop app's session host, with `process.parentPort` faked:
 * the host's entry (session-host-process.ts) starts the host once, on main's valid start message; the
 * agent's entry (agent-process.ts) lets runAgent start a host through main only when main offers it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import type { RunAgentOptions, RunningAgent } from '../../../src-main/app/run-agent.js';
import { serveAgentProcess, type ParentPortLike } from '../../../src-main/electron/agent-process.js';
import { serveSessionHostProcess } from '../../../src-main/electron/session-host-process.js';
import type { RunSessionHostOptions } from '../../../src-main/terminal/session-host/host-run.js';

function fakePort() {
  const events = new EventEmitter();
  const posted: unknown[] = [];
  const port: ParentPortLike = {
    on: (_event, listener) => events.on('message', listener),
    postMessage: (m) => void posted.push(m),
  };
  return { port, posted, send: (data: unknown) => events.emit('message', { data }) };
}

test('the host process starts the host on the first valid start message only', () => {
  const { port, send } = fakePort();
  const runs: RunSessionHostOptions[] = [];
  const logPaths: string[] = [];
  serveSessionHostProcess(port, {
    run: (o) => (runs.push(o), Promise.resolve()),
    logger: (path) => (logPaths.push(path), pino({ level: 'silent' })),
    exit: () => undefined,
  });
  const error = console.error;
  console.error = () => undefined;
  try {
    send({ type: 'start', socketPath: '', logPath: '/l' }); // empty path: refused
    send({ type: 'start', socketPath: '/s', logPath: '/l', extra: 1 }); // strict: refused
  } finally {
    console.error = error;
  }
  assert.equal(runs.length, 0);
  send({ type: 'start', socketPath: '/h/pty.sock', logPath: '/logs/session-host.log' });
  send({ type: 'start', socketPath: '/other', logPath: '/other.log' });
  assert.deepEqual(
    runs.map((r) => r.socketPath),
    ['/h/pty.sock'],
  );
  assert.deepEqual(logPaths, ['/logs/session-host.log']);
});

async function agentOptionsFor(start: Record<string, unknown>) {
  const { port, send, posted } = fakePort();
  let seen: RunAgentOptions | undefined;
  serveAgentProcess(port, {
    runAgent: (opts) => {
      seen = opts;
      return Promise.resolve({ control: { path: '/h/agent.sock' } } as unknown as RunningAgent);
    },
    exit: () => undefined,
  });
  send({ type: 'start', home: '/h', ...start });
  await new Promise((r) => setImmediate(r));
  return { opts: seen!, posted };
}

test('the agent process asks main for the session host when main offers one, and keeps sessions itself when not', async () => {
  const offered = await agentOptionsFor({ sessionHost: true });
  const host = offered.opts.domainOptions?.terminals?.sessionHost;
  assert.ok(typeof host === 'object', 'runAgent is given a way to start the host');
  offered.posted.length = 0;
  host.startHost();
  assert.deepEqual(offered.posted, [{ type: 'session-host-wanted' }]);

  const plain = await agentOptionsFor({});
  assert.equal(plain.opts.domainOptions?.terminals?.sessionHost, false);
});
