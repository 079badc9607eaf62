/**
 * The CLI agent's terminals across `clawbridge stop` and a start (what an upgrade of the package does;
 * docs/adr/0082-terminals-across-an-update.md): a graceful stop hands the terminals this node has open
 * on its peers over, as the desktop app's restart to update does, instead of hanging them up. `term`,
 * in a real terminal, waits for the agent and carries on in the same shell; a terminal the window
 * opened is listed again by the next agent and answers from the same shell.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { spawn as spawnPty } from 'node-pty';
import { connectControlSocket, ControlClient } from '../../src-main/api/control-client.js';
import { requestStreamUpgrade } from '../../src-main/api/stream-upgrade.js';
import { controlSocketPath } from '../../src-main/home/home-dir.js';
import { handOverPath } from '../../src-main/terminal/terminal-handover.js';
import { cli, CLI, stopAll, startAgent, type AgentProc } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';
import { startPair } from './terminal-setup.js';
import { socketPipe, watchTerminal } from '../helpers/terminal-viewer.js';

after(stopAll);

const skip = process.platform === 'win32' ? 'POSIX shell and terminals' : false;

/** A window-like viewer on an upgraded control socket: acknowledges what it is shown, as the window does. */
const viewer = (socket: Socket, first: Buffer) => watchTerminal(socketPipe(socket), first, true);

test(
  'after clawbridge stop and a new start, term and the window carry on in the same shells',
  { skip },
  async () => {
    const pair = await startPair({ relayOnly: false });
    const path = controlSocketPath(pair.homeA);

    // `term` as a person runs it: in a terminal of its own.
    const term = spawnPty(process.execPath, [CLI, 'term', 'b', '--home', pair.homeA], {
      cols: 100,
      rows: 30,
      env: process.env,
    });
    let seen = '';
    term.onData((d) => (seen += d));
    let termExit: number | undefined;
    term.onExit(({ exitCode }) => (termExit = exitCode));
    // The window's terminal: a viewer that acknowledges output, on the control socket.
    const s1 = await connectControlSocket(path, pair.homeA);
    const opened = await requestStreamUpgrade(
      s1,
      'terminal.open',
      { peer: 'b', command: ['sh'], cols: 80, rows: 24 },
      undefined,
      true,
    );
    const win = viewer(s1, opened.rest);
    let a2: AgentProc | undefined;
    try {
      term.write('echo "term:$$"\r');
      const termPid = await until('term’s shell says its PID', () => /term:(\d+)/.exec(seen)?.[1], 20_000);
      win.type('echo "win:$$"\n');
      const winPid = await until(
        'the window’s shell says its PID',
        () => /win:(\d+)/.exec(win.text)?.[1],
        30_000,
      );

      const stopped = await cli(['stop', '--home', pair.homeA]);
      assert.equal(stopped.code, 0, stopped.stderr);
      await until('term waits for its agent', () => seen.includes('waiting for it to come back'), 30_000);
      assert.equal(termExit, undefined, `term ended: ${seen}`);
      assert.ok(existsSync(handOverPath(pair.homeA)), 'the window’s terminal is handed over');

      a2 = await startAgent(pair.homeA, { name: 'a', listen: '127.0.0.1:0' });
      await until('term carries on', () => seen.includes('local agent is back'), 30_000).catch((err) => {
        throw new Error(`${String(err)}; term showed ${JSON.stringify(seen)}; agent: ${a2?.stderr()}`);
      });
      term.write('echo "term-again:$$"\r');
      await until('term’s same shell answers', () => seen.includes(`term-again:${termPid}`), 20_000);

      const api = await ControlClient.connect(path, pair.homeA);
      try {
        const listed = await until(
          'the window’s terminal is taken up again',
          async () => {
            const all = await api.call('terminal.list', {});
            return all.find((t) => t.state === 'connected' && !t.attached);
          },
          30_000,
        );
        const s2 = await connectControlSocket(path, pair.homeA);
        const attached = await requestStreamUpgrade(
          s2,
          'terminal.attach',
          { id: listed.id, cols: 80, rows: 24 },
          undefined,
          true,
        );
        const v2 = viewer(s2, attached.rest);
        await until('the output it had is replayed', () => v2.text.includes(`win:${winPid}`), 30_000);
        v2.type('echo "win-again:$$"\n');
        await until('the window’s same shell answers', () => v2.text.includes(`win-again:${winPid}`), 30_000);
        s2.destroy();
        // In the audit log the sessions went on: taken up (a resume), never ended.
        const { events } = await api.call('audit.list', {});
        const opened = events.filter((e) => e.kind === 'terminal' && e.side === 'opened');
        assert.deepEqual(
          opened.filter((e) => e.kind === 'terminal' && e.phase === 'end'),
          [],
          JSON.stringify(opened),
        );
      } finally {
        api.close();
      }
    } finally {
      term.kill('SIGKILL');
      s1.destroy();
      await a2?.stop();
    }
  },
);
