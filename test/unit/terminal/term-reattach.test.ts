import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { ClawError } from '../../../src-main/core/errors.js';
import { reopenWhenBack, waitSpan } from '../../../src-main/cli/term-reattach.js';

const noAgent = () => new ClawError('NO_AGENT', 'no agent is running for /tmp/x');
const opened = () => ({ socket: new Socket(), rest: Buffer.alloc(0) });

test('term tries the control socket again while no agent answers, and takes the session up once one does', async () => {
  let tries = 0;
  const back = await reopenWhenBack(
    () => (++tries < 4 ? Promise.reject(noAgent()) : Promise.resolve(opened())),
    'b',
    { waitMs: 5_000, retryMs: 5 },
  );
  assert.equal(tries, 4);
  assert.ok(back.socket instanceof Socket, 'back.socket instanceof Socket');
});

test('the agent that is back refusing the session (the peer no longer has it) ends the wait at once', async () => {
  let tries = 0;
  await assert.rejects(
    reopenWhenBack(
      () => {
        tries++;
        return Promise.reject(new ClawError('TERMINAL_LOST', 'b no longer has this terminal session'));
      },
      'b',
      { waitMs: 5_000, retryMs: 5 },
    ),
    /^ClawError: b no longer has this terminal session$/,
  );
  assert.equal(tries, 1);
});

test('after the window, term gives up with one line naming the wait and the peer', async () => {
  await assert.rejects(
    reopenWhenBack(() => Promise.reject(noAgent()), 'b', { waitMs: 60, retryMs: 5 }),
    (err: unknown) =>
      err instanceof ClawError &&
      err.code === 'TERMINAL_LOST' &&
      err.message === 'the local agent did not come back within 60 ms; gave up the terminal on b',
  );
  // A try that hangs (an agent that accepts but never answers) is cut at the deadline too.
  const hung = new Socket();
  await assert.rejects(
    reopenWhenBack((track) => (track(hung), new Promise(() => undefined)), 'b', { waitMs: 50, retryMs: 5 }),
    /did not come back within 50 ms/,
  );
  assert.equal(hung.destroyed, true);
  assert.equal(waitSpan(60_000), '60 s');
});

test('a user who left meanwhile stops the wait', async () => {
  let left = false;
  setTimeout(() => (left = true), 20);
  await assert.rejects(
    reopenWhenBack(() => Promise.reject(noAgent()), 'b', { waitMs: 5_000, retryMs: 5, stopped: () => left }),
    /TERMINAL_LOST|did not come back/,
  );
});
