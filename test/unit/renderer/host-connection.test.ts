/** connectionOfHost: what the desktop window says about its agent, from main's `app.host` event. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectionOfHost } from '../../../src-renderer/api/ipc-bridge.js';

test('a stopped agent is not "retrying": the window says why it stopped and that it waits for Start agent', () => {
  const reason = 'settings in /home/u/.config/Clawbridge/config.json are invalid (name: expected string)';
  assert.deepEqual(connectionOfHost({ kind: 'stopped', failure: { code: 'CONFIG_INVALID', reason } }), {
    kind: 'reconnecting',
    retryInMs: 0,
    reason,
    stopped: true,
  });
  assert.deepEqual(connectionOfHost({ kind: 'stopped' }), {
    kind: 'reconnecting',
    retryInMs: 0,
    reason: 'it was stopped',
    stopped: true,
  });
  // A crash is retried by itself: no `stopped`.
  assert.deepEqual(
    connectionOfHost({ kind: 'restarting', reason: 'the agent ended', retryAt: 2_000 }, 1_000),
    {
      kind: 'reconnecting',
      retryInMs: 1_000,
      reason: 'the agent ended',
    },
  );
  assert.deepEqual(connectionOfHost({ kind: 'running' }), { kind: 'connected' });
  assert.equal(connectionOfHost('junk'), null);
});
