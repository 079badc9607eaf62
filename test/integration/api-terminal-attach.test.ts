/**
 * Agent-owned terminal sessions over the control socket, between real agents: `terminal.open` returns
 * the session's ID and `terminal.list` shows it; `terminal.attach` from another connection takes the
 * session over (the first viewer is told why) and replays what it showed; a CLI viewer that leaves
 * hangs its session up; `terminal.close` and bad attach requests. (Sessions that outlive their viewer
 * need a viewer that acknowledges output: tested in test/unit/api/viewer-sessions.test.ts.)
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { connectControlSocket, ControlClient } from '../../src-main/api/control-client.js';
import { requestStreamUpgrade } from '../../src-main/api/stream-upgrade.js';
import { controlSocketPath } from '../../src-main/home/home-dir.js';
import { isClawError } from '../../src-main/core/errors.js';
import { stopAll } from '../helpers/processes.js';
import { startPair } from './terminal-setup.js';
import { socketPipe, watchTerminal } from '../helpers/terminal-viewer.js';
import { until } from '../helpers/wait.js';

after(stopAll);

const skip = process.platform === 'win32' ? 'POSIX shell commands' : false;

/** A raw viewer on an upgraded control socket: frames in, text out. */
const viewer = (socket: Socket, first: Buffer) => watchTerminal(socketPipe(socket), first);

test('open, list, attach from another connection, type, exit; close; bad ids', { skip }, async () => {
  const pair = await startPair({ relayOnly: false });
  const path = controlSocketPath(pair.homeA);
  const api = await ControlClient.connect(path, pair.homeA);
  try {
    const s1 = await connectControlSocket(path, pair.homeA);
    const opened = await requestStreamUpgrade(s1, 'terminal.open', {
      peer: 'b',
      command: ['sh', '-c', 'echo first; read x; echo "got $x"; exit 5'],
      cols: 80,
      rows: 24,
    });
    assert.match(opened.result.id, /^[0-9a-f]{16}$/);
    const v1 = viewer(s1, opened.rest);
    await until('first output', () => v1.text.includes('first'), 30_000);
    const listed = await api.call('terminal.list', {});
    assert.equal(listed.length, 1);
    assert.deepEqual(
      {
        id: listed[0]!.id,
        peerName: listed[0]!.peerName,
        state: listed[0]!.state,
        attached: listed[0]!.attached,
      },
      { id: opened.result.id, peerName: 'b', state: 'connected', attached: true },
    );

    const s2 = await connectControlSocket(path, pair.homeA);
    const attached = await requestStreamUpgrade(s2, 'terminal.attach', {
      id: opened.result.id,
      cols: 100,
      rows: 30,
    });
    assert.equal(attached.result.state, 'connected');
    const v2 = viewer(s2, attached.rest);
    await until('the first viewer let go', () => v1.closed, 30_000);
    assert.deepEqual(v1.frames.at(-1), {
      type: 'error',
      message: 'this terminal was opened in another window',
    });
    await until('the replay', () => v2.text.startsWith('first'), 30_000);
    v2.type('hello\r');
    await until('exit', () => v2.closed, 30_000);
    assert.match(v2.text, /got hello/);
    assert.deepEqual(v2.frames.at(-1), { type: 'exit', status: { code: 5 } });
    // A CLI-opened session does not outlive its (last) viewer.
    await until('the session gone', async () => (await api.call('terminal.list', {})).length === 0, 30_000);

    // A CLI viewer that leaves hangs up; terminal.close of an unknown id is refused.
    const s3 = await connectControlSocket(path, pair.homeA);
    const third = await requestStreamUpgrade(s3, 'terminal.open', {
      peer: 'b',
      command: ['sleep', '30'],
      cols: 80,
      rows: 24,
    });
    s3.destroy();
    await until('hung up', async () => (await api.call('terminal.list', {})).length === 0, 30_000);
    await assert.rejects(api.call('terminal.close', { id: third.result.id }), (err) =>
      isClawError(err, 'BAD_ARGUMENT'),
    );

    const s4 = await connectControlSocket(path, pair.homeA);
    await assert.rejects(
      requestStreamUpgrade(s4, 'terminal.attach', { id: 'nothex', cols: 80, rows: 24 }),
      (err) => isClawError(err, 'BAD_ARGUMENT') && /terminal id is 16 hex digits/.test(err.message),
    );
  } finally {
    api.close();
    await Promise.all([pair.a.stop(), pair.b.stop(), pair.relay.proc.stop()]);
  }
});
