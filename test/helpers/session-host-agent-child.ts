/**
 * A stand-in for agent-process.ts in agent-host-session-host.test.ts, run in a fake utility process
 * (fake-electron-utility.ts): on main's start message it does what the desktop agent's terminals do
 * with the session host — the real SessionHostClient adopts the host, asking main to start one
 * (`session-host-wanted`) when none answers — opens a session when it adopted none, and writes what
 * it saw to `report-PID.json` in the home. It never says `running` (no control socket: the test is
 * about the host, not the API) and exits on `stop`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { controlSocketPath } from '../../src-main/home/home-dir.js';
import {
  hostToAgentMessage,
  type AgentToHostMessage,
} from '../../src-main/electron/agent-process-messages.js';
import type { ParentPortLike } from '../../src-main/electron/agent-process.js';
import {
  SessionHostClient,
  sessionHostSocketPath,
} from '../../src-main/terminal/session-host/host-client.js';
import { failTest } from './unawaited.js';

/** Whose report a test reads. */
export interface SessionHostAgentReport {
  pid: number;
  hostPid: number | undefined;
  adopted: string[];
  created?: string;
  error?: string;
}

const port = (process as { parentPort?: ParentPortLike }).parentPort;
if (!port) throw new Error('run me through fake-electron-utility.ts');
const say = (m: AgentToHostMessage) => port.postMessage(m);
setInterval(() => undefined, 60_000); // stays until killed or stopped, as an agent does

port.on('message', ({ data }) => {
  const msg = hostToAgentMessage.parse(data);
  if (msg.type === 'stop') process.exit(0);
  (async () => {
    const report = (r: Omit<SessionHostAgentReport, 'pid'>) =>
      writeFileSync(join(msg.home, `report-${process.pid}.json`), JSON.stringify({ pid: process.pid, ...r }));
    if (!msg.sessionHost) return report({ hostPid: undefined, adopted: [], error: 'main offers no host' });
    const client = new SessionHostClient({
      socketPath: sessionHostSocketPath(controlSocketPath(msg.home)),
      logPath: join(msg.home, 'unused.log'),
      log: pino({ level: 'silent' }),
      startHost: () => say({ type: 'session-host-wanted' }),
    });
    try {
      const adopted = (await client.adopt(true)).map((s) => s.id);
      if (adopted.length > 0) return report({ hostPid: client.pid, adopted });
      const s = await client.create({
        op: 'create',
        peer: 'ab'.repeat(32),
        peerName: 'laptop',
        resumeMs: 60_000,
        args: { cols: 80, rows: 24, command: ['cat'], pty: false },
      });
      report({ hostPid: client.pid, adopted, created: s.id });
    } catch (err) {
      report({ hostPid: client.pid, adopted: [], error: String(err) });
    }
  })().catch(failTest('the session host child'));
});
