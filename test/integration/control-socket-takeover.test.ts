/**
 * Two processes that find a crashed agent's control socket at the same moment: exactly one takes it
 * over (stale-socket.ts). Without the lock the second one's unlink removed the socket the first had
 * just bound, and both ran — about one round in four on the development machine.
 *
 * Two long-lived children run claimControlSocket on a "go" line each, so their claims start within
 * microseconds of each other (a whole agent's start-up is too uneven to meet the race). They load it
 * from the source under tsx: it read the build's copy (dist/), which a file run on its own after a
 * change tested as it was at the last build, or not at all before the first.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/temp-dir.js';

const skip = process.platform === 'win32' ? 'Unix sockets' : false;
const source = fileURLToPath(new URL('../../src-main/api/control-server.ts', import.meta.url));

// Reads "PATH" lines; claims PATH and answers "won" or "lost CODE"; "close" gives the socket up.
const childScript = `
const { claimControlSocket } = await import(${JSON.stringify(source)});
const lines = (await import('node:readline')).createInterface({ input: process.stdin });
let held;
for await (const line of lines) {
  if (line === 'close') { await held?.close(); held = undefined; console.log('closed'); continue; }
  try { held = await claimControlSocket(line, line); console.log('won'); }
  catch (err) { console.log('lost ' + (err.code ?? err.message)); }
}`;

const children: ChildProcessWithoutNullStreams[] = [];
after(() => children.forEach((c) => c.kill()));

function claimer(): { send(line: string): Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', childScript]);
  children.push(child);
  const replies = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    async send(line) {
      child.stdin.write(`${line}\n`);
      const next = await replies.next();
      if (next.done) throw new Error('the claiming process ended');
      return next.value;
    },
  };
}

/** A socket file nothing listens on, as a crashed (kill -9) agent leaves it. */
function leaveStaleSocket(path: string): void {
  const r = spawnSync(process.execPath, [
    '-e',
    `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`,
  ]);
  assert.equal(r.signal, 'SIGKILL');
  assert.equal(existsSync(path), true, 'the crash left its socket');
}

test(
  'two processes taking over a stale control socket at the same moment: exactly one gets it',
  { skip },
  async () => {
    const [a, b] = [claimer(), claimer()];
    for (let round = 0; round < 20; round++) {
      const path = join(tempDir('cb-takeover-'), 'agent.sock');
      leaveStaleSocket(path);
      const replies = await Promise.all([a.send(path), b.send(path)]);
      assert.deepEqual(
        [...replies].sort(),
        ['lost AGENT_RUNNING', 'won'],
        `round ${round}: ${replies.join(', ')}`,
      );
      const winner = replies[0] === 'won' ? a : b;
      assert.equal(await winner.send('close'), 'closed');
      assert.equal(existsSync(`${path}.lock`), false, 'the lock is gone');
    }
  },
);
