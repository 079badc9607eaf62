/**
 * The restart to install an update, main's side (docs/adr/0077-desktop-updates.md §The restart): the
 * agent is handed over (`stop({keepSessions: true})`) instead of stopped, so a served shell stays in
 * the session host for the next version's agent to adopt, and the next version's agent brings the
 * proxies and forwards back on their ports. Electron's utilityProcess is faked over
 * child_process.fork (test/helpers/fake-electron-utility.ts) as in the other agent-host tests; "the
 * next version" is a second startAgentHost on the same home, as the relaunched app's main is. The
 * terminals this node has open on a peer (the window's) are handed over and taken up by the next
 * version's agent (docs/adr/0082-terminals-across-an-update.md).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NodeState } from '../../../src-main/state/node-state.js';
import { startAgentHost } from '../../../src-main/electron/agent-host.js';
import type { AgentConnection } from '../../../src-main/electron/agent-connection.js';
import { bundledEntry } from '../../helpers/bundled-entry.js';
import { fakeUtilityProcess } from '../../helpers/fake-electron-utility.js';
import type { SessionHostAgentReport } from '../../helpers/session-host-agent-child.js';
import { isAlive } from '../../helpers/process-alive.js';
import { freePort } from '../../helpers/ports.js';
import { cli, nodeId, startAgent, stopAll, tempHome } from '../../helpers/processes.js';
import { watchTerminal } from '../../helpers/terminal-viewer.js';
import type { ViewerChannel } from '../../../src-main/api/viewer-channel.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { until } from '../../helpers/wait.js';

// Bundled from the source for plain Node (test/helpers/bundled-entry.ts): each process they start
// costs ~2 CPU-s less than one loading the modules through tsx.
const AGENT = await bundledEntry(
  fileURLToPath(new URL('../../../src-main/electron/agent-process.ts', import.meta.url)),
);
const STAND_IN = await bundledEntry(
  fileURLToPath(new URL('../../helpers/session-host-agent-child.ts', import.meta.url)),
);
const HOST = await bundledEntry(
  fileURLToPath(new URL('../../../src-main/electron/session-host-process.ts', import.meta.url)),
);
const FAST = { firstMs: 300, maxMs: 2_000, stableAfterMs: 60_000 };

/** Polls `read` until it returns a value, for up to 30 s (processes start here). */
const polled = <T>(
  what: string,
  read: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
): Promise<T> => until<T>(what, async () => await read(), timeoutMs);

function reportOf(home: string, notPid?: number): Promise<SessionHostAgentReport> {
  return polled('an agent report', () => {
    for (const f of readdirSync(home).filter((n) => /^report-\d+\.json$/.test(n))) {
      const r = JSON.parse(readFileSync(join(home, f), 'utf8')) as SessionHostAgentReport;
      if (r.pid !== notPid) return r;
    }
    return undefined;
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

const running = (conn: AgentConnection) =>
  polled('the agent to run', () => (conn.hostState().kind === 'running' ? true : undefined));

test(
  'a restart to update leaves the served session in the session host, and the next version adopts it without a second host',
  { timeout: 60_000 },
  async () => {
    const home = tempDir('cb-update-host-');
    const before = fakeUtilityProcess();
    const after = fakeUtilityProcess();
    const options = {
      home,
      entry: STAND_IN,
      sessionHost: { entry: HOST, logPath: join(home, 'session-host.log') },
      restartDelays: FAST,
      log: () => undefined,
    };
    const old = startAgentHost(before.electron, options);
    let next: AgentConnection | undefined;
    try {
      const first = await reportOf(home);
      assert.equal(first.error, undefined, first.error);
      assert.ok(first.created, 'a session is open on the host main started');
      const host = before.forked[1]!;

      await old.stop({ keepSessions: true });
      assert.notEqual(before.forked[0]!.exitCode, undefined, "the old version's agent is gone");
      assert.equal(host.exitCode, undefined, 'the session host was left running');
      // Quit after the hand-over (electron-updater quits the app) must not end it either.
      await old.stop();
      assert.ok(isAlive(host.pid!), 'the session host still runs after Quit');

      next = startAgentHost(after.electron, options);
      const second = await reportOf(home, first.pid);
      assert.equal(second.error, undefined, second.error);
      assert.equal(second.hostPid, host.pid, 'the next agent found the same host');
      assert.deepEqual(second.adopted, [first.created], 'with the served session in it');
      assert.equal(after.forked.length, 1, 'and no second host was forked');
    } finally {
      await next?.stop();
      for (const p of [...before.forked, ...after.forked])
        if (p.exitCode === undefined) p.child.kill('SIGKILL');
    }
  },
);

test(
  'after a restart to update the next version listens on the same ports for the proxies and forwards',
  { timeout: 90_000 },
  async () => {
    const home = tempDir('cb-update-ports-');
    NodeState.open(home).setOptions({
      name: 'desk',
      listen: '127.0.0.1:0',
      lan: false,
      ui: { listen: null, allowRemote: false },
    });
    const port = await freePort();
    const old = startAgentHost(fakeUtilityProcess().electron, { home, entry: AGENT, restartDelays: FAST });
    let next: AgentConnection | undefined;
    try {
      await running(old);
      await old.call('proxy.add', { kind: 'socks', local: `127.0.0.1:${port}`, name: 'socks' });
      await polled('the proxy to listen', async () => ((await accepts(port)) ? true : undefined));

      await old.stop({ keepSessions: true });
      assert.equal(await accepts(port), false, 'the port was freed with the old agent');

      next = startAgentHost(fakeUtilityProcess().electron, { home, entry: AGENT, restartDelays: FAST });
      await running(next);
      await polled('the proxy to listen again', async () => ((await accepts(port)) ? true : undefined));
      const proxies = await next.call('proxy.list', {});
      assert.deepEqual(
        proxies.map((p) => [p.name, p.local, p.state]),
        [['socks', `127.0.0.1:${port}`, 'listening']],
      );
    } finally {
      await next?.stop();
      await old.stop();
    }
  },
);

/** What a window's terminal shows of `channel`, acknowledging it as xterm's write callback does. */
const screen = (channel: ViewerChannel) =>
  watchTerminal(
    {
      write: (bytes) => channel.write(bytes),
      onBytes: (listener) => {
        channel.onData(listener);
        channel.resume();
      },
    },
    undefined,
    true,
  );

after(stopAll);

test(
  "after a restart to update the window's terminal on a peer is listed again and types into the same shell",
  { timeout: 90_000, skip: process.platform === 'win32' ? 'POSIX shell' : false },
  async () => {
    const home = tempDir('cb-update-term-');
    NodeState.open(home).setOptions({
      name: 'desk',
      listen: '127.0.0.1:0',
      lan: false,
      ui: { listen: null, allowRemote: false },
    });
    const serverHome = tempHome('update-term-srv');
    const server = await startAgent(serverHome, { name: 'srv', listen: '127.0.0.1:0' });
    const options = { home, entry: AGENT, restartDelays: FAST };
    const old = startAgentHost(fakeUtilityProcess().electron, options);
    let next: AgentConnection | undefined;
    try {
      await running(old);
      const desk = await nodeId(home);
      await old.call('peers.add', { fingerprint: server.fingerprint, name: 'srv', address: server.listen! });
      const added = await cli(['peers', 'add', desk.fingerprint, '--name', 'desk', '--home', serverHome]);
      assert.equal(added.code, 0, added.stderr);
      const opened = await polled('a terminal on srv', () =>
        old
          .openStream('terminal.open', { peer: 'srv', command: ['sh'], cols: 80, rows: 24 })
          .catch(() => undefined),
      );
      const before = screen(opened.channel);
      before.type('echo "pid:$$"\n');
      const pid = await polled('the shell says its PID', () => /pid:(\d+)/.exec(before.text)?.[1]);

      await old.stop({ keepSessions: true });
      next = startAgentHost(fakeUtilityProcess().electron, options);
      await running(next);
      const listed = await polled('the terminal taken up again', async () => {
        const all = await next!.call('terminal.list', {});
        return all.length === 1 && all[0]!.state === 'connected' ? all[0] : undefined;
      });
      assert.equal(listed.peerName, 'srv');
      const attached = await next.openStream('terminal.attach', { id: listed.id, cols: 80, rows: 24 });
      const after = screen(attached.channel);
      await polled('what it showed before the restart', () => after.text.includes(`pid:${pid}`) || undefined);
      after.type('echo "again:$$"\n');
      await polled('the same shell answers', () => after.text.includes(`again:${pid}`) || undefined);
      attached.channel.close();
    } finally {
      await next?.stop();
      await old.stop();
    }
  },
);
