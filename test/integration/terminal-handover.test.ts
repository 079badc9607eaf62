/**
 * The window's terminals across a restart to install an update (docs/adr/0082-terminals-across-an-update.md),
 * between real agents: a session opened as the window opens it (a viewer that acknowledges output) is
 * handed over with `terminal.handOver`, the agent is killed, and the agent started again on the same
 * home lists it with the output it had, takes it up on the peer, and a viewer that attaches types into
 * the same shell (the same PID). The hand-over is taken up once.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import type { Socket } from 'node:net';
import { connectControlSocket, ControlClient } from '../../src-main/api/control-client.js';
import { requestStreamUpgrade } from '../../src-main/api/stream-upgrade.js';
import { controlSocketPath } from '../../src-main/home/home-dir.js';
import { handOverPath } from '../../src-main/terminal/terminal-handover.js';
import { stopAll, startAgent } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';
import { startPair } from './terminal-setup.js';
import { socketPipe, watchTerminal } from '../helpers/terminal-viewer.js';

after(stopAll);

const skip = process.platform === 'win32' ? 'POSIX shell' : false;

/** A window-like viewer on an upgraded control socket: acknowledges what it is shown, as the window does. */
const viewer = (socket: Socket, first: Buffer) => watchTerminal(socketPipe(socket), first, true);

test(
  'a handed-over terminal is listed again with its output and types into the same shell',
  { skip },
  async () => {
    const pair = await startPair({ relayOnly: false });
    const path = controlSocketPath(pair.homeA);
    const s1 = await connectControlSocket(path, pair.homeA);
    const opened = await requestStreamUpgrade(
      s1,
      'terminal.open',
      { peer: 'b', command: ['sh'], cols: 80, rows: 24 },
      undefined,
      true,
    );
    const v1 = viewer(s1, opened.rest);
    v1.type('echo "pid:$$"\n');
    const pid = await until('the shell says its PID', () => /pid:(\d+)/.exec(v1.text)?.[1], 30_000);
    // The window closes (or is about to be replaced): the session keeps running without a viewer.
    s1.destroy();

    const api = await ControlClient.connect(path, pair.homeA);
    const handed = await api.call('terminal.handOver', {});
    api.close();
    assert.deepEqual(handed, { terminals: 1 });
    const file = handOverPath(pair.homeA);
    assert.equal(statSync(file).mode & 0o777, 0o600, 'it holds screen contents: this user only');

    // Ended as the restart ends it: no hang-up reaches the peer.
    await pair.a.stop('SIGKILL');
    await startAgent(pair.homeA, { name: 'a', relay: pair.relay.url, listen: '127.0.0.1:0' });
    assert.equal(existsSync(file), false, 'taken up once');

    const api2 = await ControlClient.connect(path, pair.homeA);
    try {
      const listed = await until(
        'the terminal is taken up again',
        async () => {
          const all = await api2.call('terminal.list', {});
          return all.length === 1 && all[0]!.state === 'connected' ? all[0] : undefined;
        },
        30_000,
      );
      assert.equal(listed.peerName, 'b');
      assert.equal(listed.attached, false);

      const s2 = await connectControlSocket(path, pair.homeA);
      const attached = await requestStreamUpgrade(
        s2,
        'terminal.attach',
        { id: listed.id, cols: 80, rows: 24 },
        undefined,
        true,
      );
      const v2 = viewer(s2, attached.rest);
      await until('the output it had is replayed', () => v2.text.includes(`pid:${pid}`), 30_000);
      v2.type('echo "again:$$"\n');
      await until('the same shell answers', () => v2.text.includes(`again:${pid}`), 30_000);
      s2.destroy();
    } finally {
      api2.close();
    }
  },
);

test(
  'a second start finds nothing to take up; a hand-over with no terminals lists none',
  { skip },
  async () => {
    const pair = await startPair({ relayOnly: false });
    const path = controlSocketPath(pair.homeA);
    const api = await ControlClient.connect(path, pair.homeA);
    assert.deepEqual(await api.call('terminal.handOver', {}), { terminals: 0 });
    api.close();
    await pair.a.stop('SIGKILL');
    await startAgent(pair.homeA, { name: 'a', relay: pair.relay.url });
    const api2 = await ControlClient.connect(path, pair.homeA);
    try {
      assert.deepEqual(await api2.call('terminal.list', {}), []);
      assert.equal(existsSync(handOverPath(pair.homeA)), false);
    } finally {
      api2.close();
    }
  },
);
