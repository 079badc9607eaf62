/**
 * The bundled agent process (dist/app/electron/agent-process.js, what the packed app runs) starts an
 * agent and stops it, under plain Node with Electron's utilityProcess faked by fork()
 * (utility-process-child.ts gives it `process.parentPort`). This proves the bundle's inlined dependencies (pino, ws,
 * zod, @peculiar/x509, conf…) load and work once bundled, which unit tests on the sources cannot.
 * Needs `npm run build` first (`npm test` does it).
 */
import { fork } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NodeState } from '../../src-main/state/node-state.js';
import {
  agentToHostMessage,
  type AgentToHostMessage,
  type HostToAgentMessage,
} from '../../src-main/electron/agent-process-messages.js';
import type { HostToSessionHostMessage } from '../../src-main/electron/session-host-process-messages.js';
import {
  encodeHostMessage,
  hostReply,
  HOST_PROTOCOL_VERSION,
  readFirstMessage,
} from '../../src-main/terminal/session-host/host-protocol.js';
import { tempDir } from '../helpers/temp-dir.js';
import { until } from '../helpers/wait.js';

const BUNDLE = fileURLToPath(new URL('../../dist/app/electron/agent-process.js', import.meta.url));
const HOST_BUNDLE = fileURLToPath(
  new URL('../../dist/app/electron/session-host-process.js', import.meta.url),
);
const CHILD = fileURLToPath(new URL('./utility-process-child.ts', import.meta.url));
/** Starting an agent takes well under a second; the bound keeps a hung bundle from holding the run. */
const WAIT_MS = 30_000;

/** A home whose agent listens on loopback only and announces nothing (no LAN, no web UI). */
function quietHome(): string {
  const home = tempDir('cb-bundle-');
  NodeState.open(home).setOptions({
    name: 'bundle',
    listen: '127.0.0.1:0',
    lan: false,
    ui: { listen: null, allowRemote: false },
  });
  return home;
}

/** Resolves with the next message from the process (validated as main validates it), or rejects. */
function nextMessage(proc: NodeJS.EventEmitter): Promise<AgentToHostMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no message from the agent process in ${WAIT_MS} ms`)),
      WAIT_MS,
    );
    proc.once('message', (m: unknown) => {
      clearTimeout(timer);
      resolve(agentToHostMessage.parse(m));
    });
    proc.once('exit', (code: number) => {
      clearTimeout(timer);
      reject(new Error(`the agent process exited with ${code} before saying anything`));
    });
  });
}

function exitCode(proc: NodeJS.EventEmitter): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the agent process did not exit in ${WAIT_MS} ms`)),
      WAIT_MS,
    );
    proc.once('exit', (code: number) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

test(
  'the bundled agent process runs an agent, serves its control socket and stops on request',
  {
    skip: existsSync(BUNDLE) ? false : 'dist/app/electron/agent-process.js is not built: run `npm run build`',
  },
  async () => {
    const proc = fork(CHILD, [BUNDLE], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, CLAWBRIDGE_LOG: 'warn' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    try {
      const start: HostToAgentMessage = { type: 'start', home: quietHome() };
      const reply = nextMessage(proc);
      proc.send(start);
      const running = await reply;
      assert.equal(running.type, 'running', JSON.stringify(running));
      assert.ok(running.type === 'running' && existsSync(running.socketPath), 'the control socket exists');

      const exited = exitCode(proc);
      proc.send({ type: 'stop' } satisfies HostToAgentMessage);
      assert.equal(await exited, 0);
    } finally {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    }
  },
);

/** Dials `path` until something answers, for up to WAIT_MS. */
async function dialWhenUp(path: string): Promise<Socket> {
  return until(
    `something answering on ${path}`,
    () =>
      new Promise<Socket>((resolve, reject) => {
        const s = connect(path);
        s.once('connect', () => resolve(s));
        s.once('error', reject);
      }),
    { timeoutMs: WAIT_MS, everyMs: 50 },
  );
}

test(
  'the bundled session host process (what main forks for the app, ADR 0022) serves its socket and logs where main says',
  {
    skip: existsSync(HOST_BUNDLE)
      ? false
      : 'dist/app/electron/session-host-process.js is not built: run `npm run build`',
  },
  async () => {
    const home = tempDir('cb-bundle-host-');
    const proc = fork(CHILD, [HOST_BUNDLE], {
      env: { ...process.env },
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    try {
      const start: HostToSessionHostMessage = {
        type: 'start',
        socketPath: join(home, 'pty.sock'),
        logPath: join(home, 'session-host.log'),
      };
      proc.send(start);
      const socket = await dialWhenUp(start.socketPath);
      socket.write(encodeHostMessage({ op: 'agent', v: HOST_PROTOCOL_VERSION }));
      const { message } = await readFirstMessage(socket, hostReply());
      assert.deepEqual(message, { ok: true, pid: proc.pid, sessions: [] });
      socket.destroy();
      assert.ok(existsSync(start.logPath), 'existsSync(start.logPath)');
    } finally {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    }
  },
);
