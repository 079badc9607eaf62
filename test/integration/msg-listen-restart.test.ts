/**
 * `msg listen` and `msg serve` are long-running consumers, with real agents on loopback:
 *
 * - `msg listen` keeps running while its agent restarts, and prints each of 50 messages sent around
 *   the restart exactly once (what it printed before is not printed again; what came while the agent
 *   was away is printed once it is back);
 * - `msg serve` stopped by SIGTERM or SIGINT while its command runs ends that command and what the
 *   command started (its process group), not only itself.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OutboxMessage } from '../../src-main/messages/messages-contract.js';
import { isAlive } from '../helpers/process-alive.js';
import { startProcess, stopAll, tempHome } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';
import { addPeer, online, outbox, send, startNode, type MessageNode } from './message-helpers.js';

after(stopAll);

let a: MessageNode;
let b: MessageNode;

before(async () => {
  [a, b] = await Promise.all([startNode('a'), startNode('b')]);
  await addPeer(a, b);
  await addPeer(b, a);
  await online(a, 'b');
});

/** The texts `listen --json` printed so far, in order. */
function printed(out: string): string[] {
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { text: string }).text);
}

test(
  'msg listen carries on across a restart of its agent: 50 messages sent around it, each printed once',
  { timeout: 180_000 },
  async () => {
    const listen = startProcess(['msg', 'listen', '--json', '--topic', 'restart', '--home', b.home]);
    const texts = Array.from({ length: 50 }, (_, i) => `m${i}`);
    const sent: OutboxMessage[] = [];
    const sendRange = async (from: number, to: number) => {
      for (let i = from; i < to; i++)
        sent.push(await send(a, { peer: 'b', text: texts[i], topic: 'restart' }));
    };
    await sendRange(0, 20);
    await until('some printed before the restart', () => printed(listen.stdout()).length >= 5, 20_000);
    // Sent while the agent stops, while it is away and while it starts again.
    const stopping = b.proc.stop('SIGTERM');
    await sendRange(20, 30);
    await stopping;
    await sendRange(30, 40);
    const starting = startNode('b', { node: b });
    await sendRange(40, 50);
    b = await starting;
    assert.equal(listen.child.exitCode, null, `listen exited: ${listen.stderr()}`);
    // Every one read: printed, and its receipt back at the sender.
    let states: OutboxMessage[] = [];
    await until(
      'all 50 read',
      async () => {
        states = await outbox(a, { ids: sent.map((m) => m.id) });
        return states.length === 50 && states.every((m) => m.state === 'read');
      },
      60_000,
    ).catch((err: Error) => {
      const notRead = states.filter((m) => m.state !== 'read').map((m) => `${m.id} ${m.state}`);
      throw new Error(
        `${err.message}; not read: ${notRead.join(', ')}; printed: ${printed(listen.stdout()).join(' ')}; listen exit ${listen.child.exitCode}, stderr: ${listen.stderr()}`,
      );
    });
    const lines = printed(listen.stdout());
    assert.deepEqual([...lines].sort(), [...texts].sort(), `printed: ${lines.join(' ')}`);
    assert.equal(listen.child.exitCode, null, 'still listening');
    await listen.stop('SIGTERM');
    assert.equal(listen.child.exitCode, 0, listen.stderr());
  },
);

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`msg serve stopped by ${signal} ends its command's children too`, { timeout: 60_000 }, async () => {
    const pidFile = join(tempHome(`serve-${signal}`), 'child.pid');
    const topic = `slow-${signal.toLowerCase()}`;
    const serve = startProcess([
      'msg',
      'serve',
      '--topic',
      topic,
      '--home',
      b.home,
      '--',
      'sh',
      '-c',
      `sleep 300 & echo $! > '${pidFile}'; wait`,
    ]);
    // Only its question matters here: answered or not, it is stopped at the end.
    const ask = startProcess([
      'msg',
      'ask',
      'b',
      'go',
      '--topic',
      topic,
      '--timeout',
      '50s',
      '--home',
      a.home,
    ]);
    const child = await until(
      'the command to start its child',
      () => {
        try {
          return Number(readFileSync(pidFile, 'utf8').trim()) || undefined;
        } catch {
          return undefined;
        }
      },
      20_000,
    );
    assert.ok(isAlive(child), 'isAlive(child)');
    await serve.stop(signal);
    await until(`the command's child ${child} to end`, () => !isAlive(child), 20_000);
    await ask.stop('SIGTERM');
  });
}
