/**
 * The control socket is the home's lock (control-server.ts claimControlSocket): of two agents that
 * claim it at once exactly one gets it, a socket left by a crashed agent is taken over, and a client
 * that connects while the agent is still starting is answered once it serves.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { claimControlSocket } from '../../../src-main/api/control-server.js';
import { ControlClient } from '../../../src-main/api/control-client.js';
import {
  LOCK_WAIT_MS,
  replaceStaleSocket,
  STALE_LOCK_MS,
  STALE_PROBES,
} from '../../../src-main/api/stale-socket.js';
import type { ServedApi } from '../../../src-main/api/contract-registry.js';
import { agentContract } from '../../helpers/agent-contract.js';
import { isClawError } from '../../../src-main/core/errors.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { sleep } from '../../helpers/wait.js';

const skip = process.platform === 'win32' ? 'Unix sockets' : false;

const handler: ServedApi = {
  contract: agentContract,
  call: (method) => Promise.resolve({ method } as never),
  onEvent: () => () => undefined,
};

/** A process that listens and dies without cleaning up, as a crash (kill -9) leaves its socket. */
async function leaveStaleSocket(path: string): Promise<void> {
  const child = spawn(process.execPath, [
    '-e',
    `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`,
  ]);
  await new Promise((r) => child.once('exit', r));
  assert.equal(existsSync(path), true, 'the crash left its socket');
}

test(
  'of claims made at the same moment exactly one wins; the others are told an agent runs',
  { skip },
  async () => {
    for (let round = 0; round < 5; round++) {
      const home = tempDir('cb-claim-');
      const path = join(home, 'agent.sock');
      const results = await Promise.allSettled([1, 2, 3].map(() => claimControlSocket(path, home)));
      const won = results.filter((r) => r.status === 'fulfilled');
      assert.equal(won.length, 1, `round ${round}: ${won.length} claims won`);
      for (const r of results) {
        if (r.status === 'rejected') {
          assert.ok(isClawError(r.reason, 'AGENT_RUNNING'), String(r.reason));
          assert.match((r.reason as Error).message, /^an agent is already running for /);
        }
      }
      await won[0]!.value.close();
      assert.equal(existsSync(path), false);
    }
  },
);

test(
  'a claim while an agent holds the socket is refused, and that agent keeps answering',
  { skip },
  async () => {
    const home = tempDir('cb-claim-held-');
    const path = join(home, 'agent.sock');
    const first = await claimControlSocket(path, home);
    first.serve(handler);
    await assert.rejects(claimControlSocket(path, home), (err) => isClawError(err, 'AGENT_RUNNING'));
    const client = await ControlClient.connect(path, home);
    assert.deepEqual(await client.call('status', {}), { method: 'status' });
    client.close();
    await first.close();
  },
);

test('a socket left behind by a crashed agent is taken over', { skip }, async () => {
  const home = tempDir('cb-claim-stale-');
  const path = join(home, 'agent.sock');
  await leaveStaleSocket(path);
  const claim = await claimControlSocket(path, home);
  claim.serve(handler);
  const client = await ControlClient.connect(path, home);
  assert.deepEqual(await client.call('status', {}), { method: 'status' });
  client.close();
  await claim.close();
});

test('a client that connects while the agent starts is answered once it serves', { skip }, async () => {
  const home = tempDir('cb-claim-early-');
  const path = join(home, 'agent.sock');
  const claim = await claimControlSocket(path, home);
  const client = await ControlClient.connect(path, home);
  let answered = false;
  const reply = client.call('status', {}).then((r) => ((answered = true), r));
  await sleep(50, 'nothing may answer within this window, before the agent serves');
  assert.equal(answered, false, 'nothing answers before the agent serves');
  claim.serve(handler);
  assert.deepEqual(await reply, { method: 'status' });
  client.close();
  await claim.close();
});

test(
  'a lock left by a process that died while taking over is cleared; a fresh one is waited for',
  { skip },
  async () => {
    const home = tempDir('cb-claim-lock-');
    const path = join(home, 'agent.sock');
    await leaveStaleSocket(path);
    writeFileSync(`${path}.lock`, '');
    // Held right now by someone else, who never finishes: after LOCK_WAIT_MS an agent is said to run.
    const started = Date.now();
    await assert.rejects(claimControlSocket(path, home), (err) => isClawError(err, 'AGENT_RUNNING'));
    assert.ok(Date.now() - started >= LOCK_WAIT_MS - 50, 'it waited for the holder first');
    // The same lock, old: its holder died inside the takeover; it is cleared and the socket taken.
    const old = (Date.now() - STALE_LOCK_MS - 1000) / 1000;
    utimesSync(`${path}.lock`, old, old);
    const claim = await claimControlSocket(path, home);
    claim.serve(handler);
    const client = await ControlClient.connect(path, home);
    assert.deepEqual(await client.call('status', {}), { method: 'status' });
    client.close();
    await claim.close();
    assert.equal(existsSync(`${path}.lock`), false);
  },
);

test('a socket that refuses a probe and answers the next is a starting agent’s, never taken over', async () => {
  // An agent preempted between bind() and listen(): its socket file exists and refuses for a moment.
  const home = tempDir('cb-claim-starting-');
  const path = join(home, 'agent.sock');
  writeFileSync(path, '');
  let probes = 0;
  let listened = false;
  await assert.rejects(
    replaceStaleSocket(path, {
      answers: () => Promise.resolve(++probes >= 2),
      listen: () => {
        listened = true;
        return Promise.resolve();
      },
      running: () => new Error('running'),
    }),
    /running/,
  );
  assert.equal(probes, 2);
  assert.equal(listened, false, 'nothing was bound in its place');
  assert.equal(existsSync(path), true, 'its socket was left alone');
  assert.equal(existsSync(`${path}.lock`), false);
});

test('a socket that refuses every probe is stale: replaced after STALE_PROBES probes', async () => {
  const home = tempDir('cb-claim-dead-');
  const path = join(home, 'agent.sock');
  writeFileSync(path, '');
  let probes = 0;
  let listened = false;
  await replaceStaleSocket(path, {
    answers: () => Promise.resolve((++probes, false)),
    listen: () => {
      listened = true;
      return Promise.resolve();
    },
    running: () => new Error('running'),
  });
  assert.equal(probes, STALE_PROBES);
  assert.equal(listened, true);
  assert.equal(existsSync(path), false, 'the stale file was removed before the bind');
});
