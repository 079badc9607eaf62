/**
 * Terminals through the web UI's `/api/stream` (docs/web-ui.md): agent a opens a terminal on its peer b
 * for a WebSocket viewer, frames flow both ways as binary messages, and output waits for the viewer's
 * ACK frames (the page acknowledges what xterm drew), so a page that stops acknowledging pauses the
 * remote program instead of filling memory. Needs `npm run build`.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { WebSocket } from 'ws';
import {
  encodeTerminalFrame,
  TerminalFrameDecoder,
  type TerminalFrame,
} from '../../src-main/protocol/terminal-frames.js';
import { UNACKED_HIGH_WATER } from '../../src-main/terminal/sessions/terminal-flow.js';
import { cli, stopAll } from '../helpers/processes.js';
import { startPair, type Pair } from './terminal-setup.js';
import { messages, openSocket, parseLink, whenClosed } from './web-ui-helpers.js';
import { until, sleep } from '../helpers/wait.js';

after(stopAll);

let pair: Pair | undefined;
async function thePair(): Promise<Pair> {
  pair ??= await startPair({ relayOnly: false });
  return pair;
}

/** Opens a terminal on b from a's web UI; resolves with the socket, the `opened` result and a frame reader. */
async function openTerminal(home: string, command: string[]) {
  const r = await cli(['ui', '--home', home, '--no-open', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const { port, token } = parseLink((JSON.parse(r.stdout) as { url: string }).url);
  const ws = (await openSocket(port, '/api/stream', `http://127.0.0.1:${port}`)) as WebSocket;
  const frames: TerminalFrame[] = [];
  const decoder = new TerminalFrameDecoder();
  let dataBytes = 0;
  ws.on('message', (data, isBinary) => {
    if (!isBinary) return;
    for (const f of decoder.push(data as Buffer)) {
      if (f.type === 'data') dataBytes += f.data.byteLength;
      frames.push(f);
    }
  });
  const text = messages(ws);
  ws.send(JSON.stringify({ type: 'auth', token }));
  ws.send(
    JSON.stringify({
      type: 'open',
      method: 'terminal.open',
      params: { peer: 'b', command, cols: 80, rows: 24 },
    }),
  );
  const opened = await text.next(30_000);
  return { ws, opened, frames, received: () => dataBytes };
}

function outputOf(frames: TerminalFrame[]): string {
  return Buffer.concat(frames.flatMap((f) => (f.type === 'data' ? [f.data] : []))).toString('utf8');
}

test(
  'a terminal over /api/stream: opened, output and exit as binary frames, input from the page',
  { timeout: 90_000 },
  async () => {
    const p = await thePair();
    const t = await openTerminal(p.homeA, ['sh', '-c', 'read line; printf "got:%s\\n" "$line"; exit 3']);
    assert.equal(t.opened.type, 'opened', JSON.stringify(t.opened));
    const result = t.opened.result as { id: string; path: string; remote: string };
    assert.equal(result.path, 'direct');
    assert.match(result.id, /^[0-9a-f]{16}$/);
    t.ws.send(encodeTerminalFrame({ type: 'data', data: Buffer.from('hello-webui\r') }));
    const closed = whenClosed(t.ws);
    await until('the exit frame', () => t.frames.some((f) => f.type === 'exit'), 20_000);
    assert.match(outputOf(t.frames), /got:hello-webui/);
    assert.deepEqual(t.frames.at(-1), { type: 'exit', status: { code: 3 } });
    assert.equal((await closed).code, 1000);
  },
);

test(
  'a page that stops acknowledging pauses the remote program; acknowledging resumes it',
  { timeout: 120_000 },
  async () => {
    const p = await thePair();
    const total = 24 * 1024 * 1024;
    const t = await openTerminal(p.homeA, ['sh', '-c', `head -c ${total} /dev/zero | tr '\\0' x; exit 0`]);
    assert.equal(t.opened.type, 'opened', JSON.stringify(t.opened));
    await until('output', () => t.received() > 0, 20_000);
    await sleep(2_000, 'what was in flight when the window filled arrives');
    const stalled = t.received();
    // Unacknowledged output is bounded by the flow-control window, far below what the program writes.
    assert.ok(stalled <= 2 * UNACKED_HIGH_WATER, `received ${stalled} bytes without acknowledging any`);
    await sleep(1_000, 'no output may arrive within this window');
    assert.equal(t.received(), stalled, 'nothing more arrives while the page does not acknowledge');
    // Now the page draws and acknowledges everything it got, as xterm's write callback would.
    const ack = setInterval(() => t.ws.send(encodeTerminalFrame({ type: 'ack', offset: t.received() })), 20);
    try {
      await until('the exit frame', () => t.frames.some((f) => f.type === 'exit'), 90_000);
    } finally {
      clearInterval(ack);
    }
    assert.ok(t.received() >= total, `received ${t.received()} of ${total} bytes`);
    assert.deepEqual(t.frames.at(-1), { type: 'exit', status: { code: 0 } });
  },
);
