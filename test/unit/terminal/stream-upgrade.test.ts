/**
 * The control socket's stream upgrade (api/stream-upgrade.ts): a streaming request is answered like any
 * other, then the socket carries frames both ways; bad requests get one error reply and the end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { startControlServer } from '../../../src-main/api/control-server.js';
import { ControlClient, connectControlSocket } from '../../../src-main/api/control-client.js';
import type { ServedApi } from '../../../src-main/api/contract-registry.js';
import { agentContract } from '../../helpers/agent-contract.js';
import { requestStreamUpgrade, type StreamUpgradeHandlers } from '../../../src-main/api/stream-upgrade.js';
import type { ViewerChannel } from '../../../src-main/api/viewer-channel.js';
import { controlSocketPath } from '../../../src-main/home/home-dir.js';
import { ClawError, isClawError } from '../../../src-main/core/errors.js';
import {
  encodeTerminalFrame,
  TerminalFrameDecoder,
  type TerminalFrame,
} from '../../../src-main/protocol/terminal-frames.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { sleep } from '../../helpers/wait.js';

const api: ServedApi = {
  contract: agentContract,
  call: (method, params) => Promise.resolve({ method, params } as never),
  onEvent: () => () => undefined,
};

/** Echoes every frame back, upper-casing DATA, so the test sees both directions. */
const upgrades: StreamUpgradeHandlers = {
  'terminal.open': (params) => {
    if (params.peer === 'nope') {
      return Promise.reject(
        new ClawError('STREAM_REJECTED', 'permission denied: b does not allow terminals from a'),
      );
    }
    return Promise.resolve({
      result: { id: '0123456789abcdef', path: 'relay', remote: `ws://relay for ${params.peer}`, pty: true },
      attach: (channel: ViewerChannel) => {
        // The first frame goes out right behind the reply: the client must keep it. Its detail names
        // the terminal the CLI offered, which only the control socket carries (ADR 0037).
        const detail = channel.cliTerminal ? `hello ${channel.cliTerminal.path}` : 'hello';
        channel.write(encodeTerminalFrame({ type: 'status', state: 'resumed', detail }));
        const decoder = new TerminalFrameDecoder();
        channel.onData((chunk) => {
          for (const f of decoder.push(Buffer.from(chunk))) {
            if (f.type === 'data')
              channel.write(
                encodeTerminalFrame({
                  type: 'data',
                  data: Buffer.from(Buffer.from(f.data).toString().toUpperCase()),
                }),
              );
            if (f.type === 'resize') {
              channel.write(encodeTerminalFrame({ type: 'exit', status: { code: f.cols } }));
              channel.close();
            }
          }
        });
        channel.resume();
      },
      cancel: () => undefined,
    });
  },
};

async function server(withUpgrades = true) {
  const home = tempDir('cb-up-');
  const path = controlSocketPath(home);
  const control = await startControlServer(path, api, withUpgrades ? upgrades : undefined);
  return { home, path, control };
}

function frames(socket: Socket, first: Buffer): Promise<TerminalFrame[]> {
  const decoder = new TerminalFrameDecoder();
  const got = decoder.push(first);
  return new Promise((resolve) => {
    socket.on('data', (c: Buffer) => got.push(...decoder.push(c)));
    socket.on('close', () => resolve(got));
    socket.resume();
  });
}

test('terminal.open: ok reply, then frames both ways on the same socket', async () => {
  const { home, path, control } = await server();
  try {
    const socket = await connectControlSocket(path, home);
    const { result, rest } = await requestStreamUpgrade(socket, 'terminal.open', {
      peer: 'b',
      cols: 80,
      rows: 24,
    });
    assert.deepEqual(result, {
      id: '0123456789abcdef',
      path: 'relay',
      remote: 'ws://relay for b',
      pty: true,
    });
    const all = frames(socket, rest);
    socket.write(encodeTerminalFrame({ type: 'data', data: Buffer.from('hi') }));
    await sleep(50, 'two writes the far end reads apart, not one');
    socket.write(encodeTerminalFrame({ type: 'resize', cols: 42, rows: 1 }));
    const got = (await all).map((f) => (f.type === 'data' ? Buffer.from(f.data).toString() : f));
    assert.deepEqual(JSON.parse(JSON.stringify(got)), [
      { type: 'status', state: 'resumed', detail: 'hello' },
      'HI',
      { type: 'exit', status: { code: 42 } },
    ]);
    // Ordinary requests on other connections are unaffected.
    const client = await ControlClient.connect(path, home);
    assert.deepEqual(await client.call('peers.list', {}), { method: 'peers.list', params: {} });
    client.close();
  } finally {
    await control.close();
  }
});

test('the terminal a CLI offers beside its request reaches the viewer channel as it was sent', async () => {
  const { home, path, control } = await server();
  try {
    const socket = await connectControlSocket(path, home);
    const params = { peer: 'b', cols: 80, rows: 24 };
    const offered = { path: '/dev/pts/7', escapes: false };
    const { rest } = await requestStreamUpgrade(socket, 'terminal.open', params, undefined, false, offered);
    const all = frames(socket, rest);
    socket.write(encodeTerminalFrame({ type: 'resize', cols: 1, rows: 1 }));
    assert.deepEqual((await all)[0], { type: 'status', state: 'resumed', detail: 'hello /dev/pts/7' });
  } finally {
    await control.close();
  }
});

test('a refusal is the handler’s own error, and the connection ends', async () => {
  const { home, path, control } = await server();
  try {
    const socket = await connectControlSocket(path, home);
    await assert.rejects(
      requestStreamUpgrade(socket, 'terminal.open', { peer: 'nope', cols: 80, rows: 24 }),
      (err) =>
        isClawError(err, 'STREAM_REJECTED') &&
        err.message === 'permission denied: b does not allow terminals from a',
    );
  } finally {
    await control.close();
  }
});

test('bad streaming requests get one error line and the end', async () => {
  const { home, path, control } = await server();
  try {
    const exchange = async (text: string) => {
      const socket = await connectControlSocket(path, home);
      socket.setEncoding('utf8');
      let got = '';
      socket.on('data', (c: string) => (got += c));
      const closed = new Promise((r) => socket.on('close', r));
      socket.write(text);
      await closed;
      return JSON.parse(got.trim()) as {
        id: number | null;
        ok: boolean;
        error: { code: string; message: string };
      };
    };
    const bad = await exchange(
      '{"id":3,"method":"terminal.open","params":{"peer":"b","cols":0,"rows":24}}\n',
    );
    assert.equal(bad.id, 3);
    assert.equal(bad.error.code, 'BAD_ARGUMENT');
    assert.match(bad.error.message, /^invalid parameters for terminal\.open: cols: /);
    const eager = await exchange(
      '{"id":4,"method":"terminal.open","params":{"peer":"b","cols":1,"rows":1}}\nxx',
    );
    assert.equal(eager.error.message, 'send nothing after a terminal.open request until its reply');
    const noId = await exchange('{"method":"terminal.open","params":{"peer":"b","cols":1,"rows":1}}\n');
    assert.equal(noId.error.message, 'malformed request: id: expected a whole number');
    const badTerminal = await exchange(
      '{"id":5,"method":"terminal.open","params":{"peer":"b","cols":1,"rows":1},"terminal":{"path":"/etc/passwd","escapes":true}}\n',
    );
    assert.equal(badTerminal.error.code, 'BAD_ARGUMENT');
    assert.equal(
      badTerminal.error.message,
      'malformed request: terminal: path: expected a terminal device such as /dev/pts/3',
    );
  } finally {
    await control.close();
  }
});

test('an agent without streaming methods answers like for any unknown method', async () => {
  const { home, path, control } = await server(false);
  try {
    const socket = await connectControlSocket(path, home);
    await assert.rejects(
      requestStreamUpgrade(socket, 'terminal.open', { peer: 'b', cols: 80, rows: 24 }),
      /unknown method 'terminal.open'/,
    );
    socket.destroy();
  } finally {
    await control.close();
  }
});
