import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import type { ApiEvents } from '../../../src-main/api/contract.js';
import type { ServedApi } from '../../../src-main/api/contract-registry.js';
import { agentContract } from '../../helpers/agent-contract.js';
import { startWebUi, type WebUiServer } from '../../../src-main/api/web-ui/server.js';
import type { StreamUpgradeHandlers } from '../../../src-main/api/stream-upgrade.js';
import type { ViewerChannel } from '../../../src-main/api/viewer-channel.js';
import { MAX_SEND_BACKLOG_BYTES } from '../../../src-main/api/web-ui/ws-session.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { sleep, until } from '../../helpers/wait.js';

type Listener = <E extends keyof ApiEvents>(event: E, data: ApiEvents[E]) => void;
const listeners = new Set<Listener>();
const handler: ServedApi = {
  contract: agentContract,
  call: () => Promise.resolve({} as never),
  onEvent: (l) => {
    listeners.add(l);
    return () => listeners.delete(l);
  },
};

const channels: ViewerChannel[] = [];
const cancelled: string[] = [];
const opening: string[] = [];
/** An echo "terminal": whatever the viewer sends comes back; `slow` peers take 200 ms to open. */
const streams: StreamUpgradeHandlers = {
  'terminal.open': async (params) => {
    if (params.peer === 'missing') throw Object.assign(new Error('no peer named missing'), {});
    if (params.peer === 'slow') {
      opening.push(params.peer);
      await sleep(200, 'a slow peer: its open is pending while the page goes');
    }
    return {
      result: { id: '0123456789abcdef', path: 'direct', remote: `${params.peer}:7475`, pty: true },
      attach: (channel) => {
        channels.push(channel);
        channel.onData((bytes) => channel.write(bytes));
      },
      cancel: () => cancelled.push(params.peer),
    };
  },
};

const servers: WebUiServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function start() {
  const ui = await startWebUi({
    listen: '127.0.0.1:0',
    allowRemote: false,
    home: tempDir('cb-webui-'),
    handler,
    streams,
    rendererDir: tempDir('cb-empty-'),
  });
  servers.push(ui);
  return { ui, token: /#token=([0-9a-f]+)$/.exec(ui.url())![1]!, origin: `http://127.0.0.1:${ui.port}` };
}

function open(s: { ui: WebUiServer; origin: string }, path: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${s.ui.port}${path}`, { origin: s.origin });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) =>
    ws.once('message', (data, isBinary) => resolve({ data: data as Buffer, isBinary })),
  );
}

function closed(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
}

async function openTerminal(s: Awaited<ReturnType<typeof start>>, peer: string) {
  const ws = await open(s, '/api/stream');
  // auth and open back to back: the server must not lose the second message
  ws.send(JSON.stringify({ type: 'auth', token: s.token }));
  ws.send(JSON.stringify({ type: 'open', method: 'terminal.open', params: { peer, cols: 80, rows: 24 } }));
  const reply = JSON.parse(String((await nextMessage(ws)).data)) as Record<string, unknown>;
  return { ws, reply };
}

test('terminal stream: opened with the result, then binary frames both ways through a ViewerChannel', async () => {
  const s = await start();
  const { ws, reply } = await openTerminal(s, 'nas');
  assert.deepEqual(reply, {
    type: 'opened',
    result: { id: '0123456789abcdef', path: 'direct', remote: 'nas:7475', pty: true },
  });
  const channel = channels.at(-1)!;
  assert.equal(channel.viewerAcks, true);
  const echoed = nextMessage(ws);
  ws.send(Buffer.from([0, 0, 0, 3, 1, 0x68, 0x69]));
  const got = await echoed;
  assert.equal(got.isBinary, true);
  assert.deepEqual([...got.data], [0, 0, 0, 3, 1, 0x68, 0x69]);
  const gone = new Promise<void>((r) => channel.onClose(r));
  ws.close();
  await gone;
});

test('terminal stream: a refused open is an error message and a close; text after opened closes 1003', async () => {
  const s = await start();
  const missing = await openTerminal(s, 'missing');
  assert.deepEqual(missing.reply, {
    type: 'error',
    error: { code: 'INTERNAL', message: 'no peer named missing' },
  });
  assert.equal(await closed(missing.ws), 1000);

  const ws = await open(s, '/api/stream');
  ws.send(JSON.stringify({ type: 'auth', token: s.token }));
  ws.send(
    JSON.stringify({ type: 'open', method: 'terminal.open', params: { peer: 'x', cols: 0, rows: 24 } }),
  );
  const bad = JSON.parse(String((await nextMessage(ws)).data)) as {
    type: string;
    error: { code: string; message: string };
  };
  assert.equal(bad.type, 'error');
  assert.equal(bad.error.code, 'BAD_ARGUMENT');
  assert.match(bad.error.message, /invalid parameters for terminal.open: cols/);

  const other = await open(s, '/api/stream');
  other.send(JSON.stringify({ type: 'auth', token: s.token }));
  other.send(JSON.stringify({ type: 'open', method: 'shell.exec', params: {} }));
  assert.match(String((await nextMessage(other)).data), /unknown streaming method 'shell.exec'/);

  const text = await openTerminal(s, 'nas');
  assert.equal(text.reply.type, 'opened');
  const code = closed(text.ws);
  text.ws.send('hello');
  assert.equal(await code, 1003);
});

test('terminal stream: a viewer that leaves while the stream opens cancels it', async () => {
  const s = await start();
  const ws = await open(s, '/api/stream');
  ws.send(JSON.stringify({ type: 'auth', token: s.token }));
  ws.send(
    JSON.stringify({ type: 'open', method: 'terminal.open', params: { peer: 'slow', cols: 80, rows: 24 } }),
  );
  await until('the slow open under way', () => opening.includes('slow'));
  ws.close();
  await until('the open cancelled', () => cancelled.length > 0);
  assert.deepEqual(cancelled, ['slow']);
});

test('a subscribed page that does not read is dropped once 8 MiB are unsent', async () => {
  const s = await start();
  const ws = await open(s, '/api');
  ws.send(JSON.stringify({ type: 'auth', token: s.token }));
  await nextMessage(ws);
  const subscribed = listeners.size;
  ws.send(JSON.stringify({ type: 'subscribe' }));
  await until('the page subscribed', () => listeners.size > subscribed);
  // The page stops reading: its TCP socket is paused, so the kernel buffers fill and ours grow.
  (ws as unknown as { _socket: { pause(): void } })._socket.pause();
  const big = { blob: 'x'.repeat(256 * 1024) } as unknown as ApiEvents['changed'];
  const rounds = Math.ceil((MAX_SEND_BACKLOG_BYTES * 4) / (256 * 1024));
  for (let i = 0; i < rounds && listeners.size > 0; i++) {
    for (const l of [...listeners]) l('changed', big);
    await new Promise((r) => setImmediate(r));
  }
  assert.equal(listeners.size, 0, 'the socket was dropped and its event listener disposed');
  ws.terminate();
});
