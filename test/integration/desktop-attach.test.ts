/**
 * The desktop app's main process with an agent already serving its home (src-main/electron/agent-host-choice.ts,
 * agent-attach.ts): Electron's utilityProcess is faked (test/helpers/fake-electron-utility.ts), so a
 * start of the app's own agent shows as a fork. With a `clawbridge agent` running on the home the app
 * attaches instead of forking; Quit leaves that agent and a shell it serves to a peer running; a second
 * start attaches again; once the owner stops that agent, the app starts its own. With a service
 * installed and its agent not up yet, the app waits for it rather than start an agent the service's
 * would then collide with.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { NodeState } from '../../src-main/state/node-state.js';
import { connectAgentClient } from '../../src-main/electron/agent-client.js';
import { startAgentHost } from '../../src-main/electron/agent-host.js';
import { startDesktopAgent } from '../../src-main/electron/agent-host-choice.js';
import type { AgentConnection, AgentHostState } from '../../src-main/electron/agent-connection.js';
import { trayMenuModel } from '../../src-main/electron/tray-menu.js';
import { controlSocketPath } from '../../src-main/home/home-dir.js';
import { readServiceRecord, writeServiceRecord } from '../../src-main/cli/service-record.js';
import { fakeUtilityProcess } from '../helpers/fake-electron-utility.js';
import { addPeer, online, startLoopbackNode } from '../helpers/loopback-nodes.js';
import { agentCall, CLI, startAgent, stopAll, tempHome } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

after(stopAll);

const ENTRY = fileURLToPath(new URL('../../src-main/electron/agent-process.ts', import.meta.url));

/** The app's main process as main.ts wires it, Electron faked: what it forks is counted. */
function startApp(home: string) {
  const fake = fakeUtilityProcess();
  const lines: string[] = [];
  const conn = startDesktopAgent({
    connect: () => connectAgentClient(controlSocketPath(home), home),
    serviceInstalled: () => readServiceRecord(home) !== undefined,
    lookMs: 200,
    log: (line) => lines.push(line),
    startOwn: () => startAgentHost(fake.electron, { home, entry: ENTRY, log: (line) => lines.push(line) }),
  });
  return { conn, fake, lines };
}

const running = (conn: AgentConnection, what: string): Promise<AgentHostState> =>
  until(what, () => {
    const s = conn.hostState();
    return s.kind === 'running' && s;
  });

function quietHome(label: string): string {
  const home = tempHome(label);
  NodeState.open(home).setOptions({ name: 'desk', lan: false, ui: { listen: null, allowRemote: false } });
  return home;
}

test(
  'with an agent on its home the app attaches, Quit leaves it and a served shell running, a second start attaches again',
  { timeout: 240_000 },
  async () => {
    const home = quietHome('attach');
    const agent = await startAgent(home, { name: 'desk', listen: '127.0.0.1:0', ui: false });

    // A peer has a shell open on this machine, served by that agent.
    const peer = await startLoopbackNode('peer', 'attach');
    await addPeer({ home }, { name: 'peer', fingerprint: peer.fingerprint }, 'terminal');
    await addPeer(
      peer,
      { name: 'desk', fingerprint: agent.fingerprint, address: agent.listen! },
      'none',
      true,
    );
    await online(peer, 'desk');
    const shell = spawn(process.execPath, [CLI, 'term', 'desk', '--home', peer.home, '--', 'cat'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let shellOut = '';
    shell.stdout.setEncoding('utf8').on('data', (t: string) => (shellOut += t));
    try {
      shell.stdin.write('before quit\n');
      await until('the served shell echoes', () => shellOut.includes('before quit'));

      const first = startApp(home);
      const state = await running(first.conn, 'the app attached');
      assert.deepEqual(
        state,
        { kind: 'running', attached: 'agent' },
        'attached to an agent started outside the app',
      );
      assert.equal(first.fake.forked.length, 0, 'the app started no agent of its own');
      assert.equal(
        (await first.conn.call('status', {})).fingerprint,
        agent.fingerprint,
        'calls reach the running agent',
      );
      const menu = trayMenuModel({ host: state, agent: null, openAtLogin: false });
      assert.ok(
        menu.some((i) => i.type === 'item' && /keeps running after Quit/.test(i.label)),
        "the tray says the agent is not the app's and outlives Quit",
      );

      // Quit, and a restart to update: the app lets go; the agent and the shell it serves go on.
      await first.conn.stop({ keepSessions: true });
      assert.equal(
        (await agentCall(home, 'status', {})).fingerprint,
        agent.fingerprint,
        'the agent still runs',
      );
      shell.stdin.write('after quit\n');
      await until('the served shell still echoes', () => shellOut.includes('after quit'));
      assert.equal(agent.child.exitCode, null, 'the agent process was not ended');

      const second = startApp(home);
      assert.deepEqual(await running(second.conn, 'the second start attached'), {
        kind: 'running',
        attached: 'agent',
      });
      assert.equal(second.fake.forked.length, 0, 'the second start forked nothing either');

      // The owner stops the agent they started: the app starts its own on the home.
      await agent.stop();
      await until('the app started its own agent', () => second.fake.forked.length === 1);
      const own = await until('its own agent runs', () => {
        const s = second.conn.hostState();
        return s.kind === 'running' && s.attached === undefined && s;
      });
      assert.deepEqual(own, { kind: 'running' }, "the app's own agent, not attached");
      assert.equal(
        (await second.conn.call('status', {})).name,
        'desk',
        'the app reaches its own agent on the same home',
      );
      await second.conn.stop();
    } finally {
      shell.kill('SIGKILL');
    }
  },
);

test(
  'with a service installed whose agent is not up yet, the app waits for it instead of starting its own',
  { timeout: 120_000 },
  async () => {
    const home = quietHome('attach-svc');
    writeServiceRecord(home, {
      kind: 'agent',
      name: 'clawbridge-agent-test',
      manager: 'systemd',
      definition: join(home, 'unit.service'),
      argv: [],
      flags: [],
      log: 'journalctl --user -u clawbridge-agent-test.service',
      installedAt: new Date().toISOString(),
    });
    const app = startApp(home);
    await until('the app waits for the service', () => app.conn.hostState().kind === 'restarting');
    await assert.rejects(app.conn.call('status', {}), { code: 'NO_AGENT' }, 'calls wait for the agent');
    // The service's agent comes up (its manager started it): the app attaches to it.
    await startAgent(home, { name: 'desk', listen: '127.0.0.1:0', ui: false });
    assert.deepEqual(await running(app.conn, 'the app attached to the service'), {
      kind: 'running',
      attached: 'service',
    });
    assert.equal(app.fake.forked.length, 0, 'no agent of its own was started meanwhile');
    await app.conn.stop();
    assert.equal((await agentCall(home, 'status', {})).name, 'desk', "the service's agent outlives Quit");
  },
);
