/**
 * The handoff of direct terminal I/O (ADR 0037) on `term`'s side: from DIRECT_START on, the agent reads
 * the terminal, so `term` must not. A DIRECT_START that came with the first bytes (read together with
 * the stream upgrade's answer) once left `term` reading as well, and a `~.` typed right then went to
 * whichever of the two read first.
 */
import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LEFT_BY_ESCAPE_STATUS, runTerminal } from '../../../src-main/terminal/cli/term-command.js';
import {
  encodeTerminalFrame,
  TerminalFrameDecoder,
  type TerminalFrame,
} from '../../../src-main/protocol/terminal-frames.js';
import { sleep } from '../../helpers/wait.js';

/** A connected loopback socket pair: [the agent's end, term's end]. */
async function socketPair(): Promise<[Socket, Socket, () => void]> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const client = connect(port, '127.0.0.1');
  const [agent] = await accepted;
  return [agent, client, () => server.close()];
}

/** Frames the agent's end receives, as they come. */
function framesAt(agent: Socket): TerminalFrame[] {
  const frames: TerminalFrame[] = [];
  const decoder = new TerminalFrameDecoder();
  agent.on('data', (chunk: Buffer) => frames.push(...decoder.push(chunk)));
  return frames;
}

test('a DIRECT_START among the first bytes: term answers DIRECT_READY and reads no key after it', async () => {
  const [agent, term, close] = await socketPair();
  const frames = framesAt(agent);
  const keys = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => undefined });
  try {
    const status = runTerminal(term, Buffer.from(encodeTerminalFrame({ type: 'direct-start' })), keys, {
      escapes: true,
      peer: 'b',
      pty: true,
    });
    // Typed once the agent reads the terminal: the agent's to read, not term's.
    keys.write('~.');
    await sleep(100, 'term must not act on the keys: nothing may come within this window');
    assert.deepEqual(
      frames.map((f) => f.type),
      ['direct-ready'],
    );
    assert.equal(keys.readableLength, 2, 'the keys are still unread');
    // The agent read the `~.` itself and says so: term leaves as it would have.
    agent.write(encodeTerminalFrame({ type: 'direct-left' }));
    assert.equal(await status, LEFT_BY_ESCAPE_STATUS);
  } finally {
    agent.destroy();
    term.destroy();
    close();
  }
});
