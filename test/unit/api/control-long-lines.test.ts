/**
 * A long line on the control socket (a `messages.sendMany` of 1,000 messages and its answer are a few
 * hundred KiB each) arrives in many chunks: each side searches only what came since for the newline,
 * not the whole line again per chunk, whose cost grew with the square of its length.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { ControlClient } from '../../../src-main/api/control-client.js';
import { startControlServer } from '../../../src-main/api/control-server.js';
import type { ServedApi } from '../../../src-main/api/contract-registry.js';
import { controlSocketPath } from '../../../src-main/home/home-dir.js';
import { agentContract } from '../../helpers/agent-contract.js';
import { tempDir } from '../../helpers/temp-dir.js';

/** Characters of the long line (under the 4 MiB line limit), and of each piece it is written in. */
const LINE_CHARS = 3 * 1024 * 1024;
const PIECE_CHARS = 1024;
/**
 * CPU the test process may use to carry the line (both ends are in it): searching the whole line per
 * chunk took many seconds here; searching each chunk once, a few hundred ms at most on a loaded machine.
 */
const MAX_CPU_MS = 3_000;

/** Writes `text` in PIECE_CHARS pieces, one per turn of the event loop, so the reader gets many chunks. */
async function writeInPieces(socket: Socket, text: string): Promise<void> {
  for (let i = 0; i < text.length; i += PIECE_CHARS) {
    await new Promise<void>((resolve, reject) =>
      socket.write(text.slice(i, i + PIECE_CHARS), (err) => (err ? reject(err) : resolve())),
    );
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

const cpuMs = (since: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
};

test('the client reads a reply line of 3 MiB that came in 1 KiB chunks', async () => {
  const home = tempDir('cb-long-');
  const path = controlSocketPath(home);
  const result = 'r'.repeat(LINE_CHARS);
  const server = createServer((s) => {
    s.setEncoding('utf8');
    let got = '';
    s.on('data', (chunk: string) => {
      got += chunk;
      if (!got.includes('\n')) return;
      const { id } = JSON.parse(got.slice(0, got.indexOf('\n'))) as { id: number };
      writeInPieces(s, `${JSON.stringify({ id, ok: true, result })}\n`).catch(() => s.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const client = await ControlClient.connect(path, home);
  try {
    const t0 = process.cpuUsage();
    const answer = (await client.call('status', {})) as unknown as string;
    const used = cpuMs(t0);
    assert.equal(answer.length, LINE_CHARS, 'the whole result came');
    assert.ok(used < MAX_CPU_MS, `the line took ${used.toFixed(0)} ms of CPU (at most ${MAX_CPU_MS})`);
  } finally {
    client.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('the agent reads a request line of 3 MiB that came in 1 KiB chunks', async () => {
  const home = tempDir('cb-long-');
  const path = controlSocketPath(home);
  let seen = 0;
  const handler: ServedApi = {
    contract: agentContract,
    call: (_method, params) => {
      seen = JSON.stringify(params).length;
      return Promise.resolve({ ok: true } as never);
    },
    onEvent: () => () => undefined,
  };
  const server = await startControlServer(path, handler);
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = connect(path, () => resolve(s));
    s.once('error', reject);
  });
  try {
    socket.setEncoding('utf8');
    let replies = '';
    const replied = new Promise<string>((resolve) =>
      socket.on('data', (chunk: string) => {
        replies += chunk;
        if (replies.includes('\n')) resolve(replies.slice(0, replies.indexOf('\n')));
      }),
    );
    const t0 = process.cpuUsage();
    // messages.list takes a topic: a long one is refused by the contract, after the line was read whole.
    const request = { id: 7, method: 'messages.list', params: { topic: 't'.repeat(LINE_CHARS) } };
    await writeInPieces(socket, `${JSON.stringify(request)}\n`);
    const reply = JSON.parse(await replied) as { id: number };
    const used = cpuMs(t0);
    assert.equal(reply.id, 7, `the request was answered: ${JSON.stringify(reply).slice(0, 200)} (${seen})`);
    assert.ok(used < MAX_CPU_MS, `the line took ${used.toFixed(0)} ms of CPU (at most ${MAX_CPU_MS})`);
  } finally {
    socket.destroy();
    await server.close();
  }
});
