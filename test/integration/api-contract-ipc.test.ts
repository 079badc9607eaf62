/**
 * The window's transport end to end, with only Electron's pieces faked in-process
 * (test/helpers/fake-electron-ipc.ts, fake-electron-utility.ts): the page's IpcTransport
 * (src-renderer/api/ipc-transport.ts) → the real preload (evaluated as a sandboxed preload) → main's
 * api-ipc.ts → the agent host (agent-host.ts) → a real agent process (agent-process.ts under a
 * child_process stand-in for utilityProcess) over its control socket.
 *
 * 1. The shared contract suite (test/helpers/contract-suite.ts): the suite starts node `a` with the CLI;
 *    `connect` stops that process and hosts the same home in the app's agent process instead, so
 *    every request and event of the suite crosses main the way the desktop app's do.
 * 2. A terminal between two real agents through a MessagePort, with the window's ACK flow control:
 *    a page that does not acknowledge stalls the remote program; acknowledging lets it finish. Quit
 *    with a terminal open closes the window's end and stops the agent within 5 s.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { NodeState } from '../../src-main/state/node-state.js';
import type { PeerInfo, StatusResult } from '../../src-main/api/contract.js';
import { startAgentHost } from '../../src-main/electron/agent-host.js';
import type { AgentConnection, AgentHostState } from '../../src-main/electron/agent-connection.js';
import { registerApiIpc } from '../../src-main/electron/api-ipc.js';
import { IpcTransport } from '../../src-renderer/api/ipc-transport.js';
import {
  encodeDataFrames,
  encodeTerminalFrame,
  TerminalFrameDecoder,
} from '../../src-main/protocol/terminal-frames.js';
import { contractSuite } from '../helpers/contract-suite.js';
import { fakeElectronIpc } from '../helpers/fake-electron-ipc.js';
import { fakeUtilityProcess } from '../helpers/fake-electron-utility.js';
import { agentCall, cli, stopAll, tempHome, startAgent } from '../helpers/processes.js';
import { until, sleep } from '../helpers/wait.js';

const ENTRY = fileURLToPath(new URL('../../src-main/electron/agent-process.ts', import.meta.url));
const PAGE = 'file:///opt/Clawbridge/resources/app.asar/dist/renderer/index.html';

function running(conn: AgentConnection, timeoutMs = 30_000): Promise<void> {
  return until(
    'the hosted agent running',
    () => {
      const s: AgentHostState = conn.hostState();
      if (s.kind === 'restarting') throw new Error(`agent restarting: ${s.reason}`);
      return s.kind === 'running';
    },
    timeoutMs,
  ).then(() => undefined);
}

/** The app's main process in miniature: the agent host and the IPC transport, and one page on it. */
async function desktop(home: string) {
  const utility = fakeUtilityProcess();
  const host = startAgentHost(utility.electron, { home, entry: ENTRY, log: () => undefined });
  await running(host);
  const electron = fakeElectronIpc();
  const ipc = registerApiIpc(electron.electron, host, PAGE, () => undefined);
  const page = electron.loadPage(PAGE);
  return {
    host,
    /** The agent's process as main started it last. */
    agentProcess: () => utility.forked.at(-1),
    page,
    transport: new IpcTransport(page.bridge),
    close: async () => {
      ipc.dispose();
      await host.stop();
    },
  };
}

contractSuite('the IPC transport (preload, main and the agent host)', async ({ home }) => {
  // The suite's node `a` runs under the CLI: stop it and host its home the app's way.
  const stopped = await cli(['stop', '--home', home]);
  if (stopped.code !== 0) throw new Error(`clawbridge stop failed: ${stopped.stderr}`);
  const app = await desktop(home);
  return {
    call: (method, params) => app.transport.request(method, params),
    onEvent: (listener) => app.transport.subscribe(listener),
    close: app.close,
  };
});

const skip = process.platform === 'win32' ? 'POSIX shell commands' : false;

describe('a terminal over IPC between real agents', { skip, timeout: 120_000 }, () => {
  after(stopAll);

  test('output flows only as the page acknowledges it; typed input reaches the program', async () => {
    const homeA = tempHome('ipc-a');
    NodeState.open(homeA).setOptions({
      name: 'a',
      listen: '127.0.0.1:0',
      lan: false,
      ui: { listen: null, allowRemote: false },
    });
    const homeB = tempHome('ipc-b');
    await startAgent(homeB, { name: 'b', listen: '127.0.0.1:0', ui: false });
    const app = await desktop(homeA);
    try {
      const statusB = await agentCall(homeB, 'status', {});
      const statusA = (await app.transport.request('status', {})) as StatusResult;
      await app.transport.request('peers.add', {
        fingerprint: statusB.fingerprint,
        name: 'b',
        address: statusB.listen,
      });
      // b's side over its control socket, as `clawbridge peers add` does: set-up, not what is checked.
      await agentCall(homeB, 'peers.add', {
        fingerprint: statusA.fingerprint,
        name: 'a',
        address: statusA.listen!,
      });
      await until(
        'b online',
        async () =>
          ((await app.transport.request('peers.list', {})) as PeerInfo[]).find((p) => p.name === 'b')?.online,
        20_000,
      );

      const FLOOD = 3_000_000;
      Object.assign(globalThis, { window: app.page.window });
      const { channel } = await app.transport.openStream('terminal.open', {
        peer: 'b',
        command: ['sh', '-c', `head -c ${FLOOD} /dev/zero | tr '\\0' x; read line; echo "got:$line"`],
        cols: 80,
        rows: 24,
      });
      const decoder = new TerminalFrameDecoder();
      let offset = 0;
      let received = 0;
      let text = '';
      let acking = false;
      channel.onMessage((bytes) => {
        for (const frame of decoder.push(bytes)) {
          if (frame.type === 'session') offset = frame.offset;
          if (frame.type !== 'data') continue;
          received += frame.data.byteLength;
          offset += frame.data.byteLength;
          if (received > FLOOD) text += Buffer.from(frame.data).toString();
          if (acking) channel.send(encodeTerminalFrame({ type: 'ack', offset }));
        }
      });
      // Not acknowledged: the remote program is paused once a window's worth is in flight (1 MiB).
      await until(
        'output to stall',
        async () => {
          const before = received;
          await sleep(700, 'a window in which no output may arrive');
          return received > 0 && received === before;
        },
        20_000,
      );
      assert.ok(received < 2 * 1024 * 1024, `${received} bytes arrived without one ACK`);
      // Acknowledged: the rest arrives, then the program reads what the page types.
      acking = true;
      channel.send(encodeTerminalFrame({ type: 'ack', offset }));
      await until('the whole flood', () => received >= FLOOD, 30_000);
      for (const f of encodeDataFrames(Buffer.from('over ipc\r'))) channel.send(f);
      await until('the echo', () => text.includes('got:over ipc'), 30_000);
      channel.close();

      // Quit with a terminal open: its window is told (the port closes), and the agent is gone once Quit
      // resolves (the 5 s bound is the host's own deadline, agent-host-stop.ts; a wall clock here reads the
      // machine's load).
      const open = await app.transport.openStream('terminal.open', {
        peer: 'b',
        command: ['sh', '-c', 'echo ready; sleep 60'],
        cols: 80,
        rows: 24,
      });
      let closedAt = 0;
      open.channel.onClose(() => (closedAt = Date.now()));
      await app.close();
      assert.notEqual(app.agentProcess()?.exitCode, undefined, 'the agent process has exited');
      await until('the window to see its terminal end', () => closedAt > 0, 30_000);
      assert.equal(app.host.hostState().kind, 'stopped');
    } finally {
      await app.close();
    }
  });
});
