/**
 * The desktop app's choice of agent (src-main/electron/agent-attach.ts): attach to one serving its
 * home, wait for a service's, or start its own; and what the tray says while attached.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { afterAttachedLost, attachedAs, decideHost } from '../../../src-main/electron/agent-attach.js';
import { trayMenuModel } from '../../../src-main/electron/tray-menu.js';
import { runningWork } from '../../../src-main/electron/update-running.js';

test('an agent serving the home is attached to; a service not up yet is waited for; else the app starts its own', () => {
  assert.equal(decideHost({ serving: true, service: false }), 'attach');
  assert.equal(decideHost({ serving: true, service: true }), 'attach');
  assert.equal(decideHost({ serving: false, service: true }), 'wait-for-service');
  assert.equal(decideHost({ serving: false, service: false }), 'start-own');
  assert.equal(attachedAs({ serving: true, service: true }), 'service');
  assert.equal(attachedAs({ serving: true, service: false }), 'agent');
});

test("a service's agent that went away is waited for; one started by hand is replaced by the app's own", () => {
  assert.equal(afterAttachedLost(true), 'wait-for-service');
  assert.equal(afterAttachedLost(false), 'start-own');
});

test("the tray says when the agent is not the app's own, and only then", () => {
  const labels = (host: Parameters<typeof trayMenuModel>[0]['host']) =>
    trayMenuModel({ host, agent: null, openAtLogin: false }).flatMap((i) =>
      i.type === 'item' ? [i.label] : [],
    );
  assert.ok(
    labels({ kind: 'running', attached: 'service' }).includes(
      'Agent runs as a service: it keeps running after Quit',
    ),
    'a service',
  );
  assert.ok(
    labels({ kind: 'running', attached: 'agent' }).includes(
      'Using an agent started outside the app: it keeps running after Quit',
    ),
    'an agent started by hand',
  );
  assert.equal(
    labels({ kind: 'running' }).filter((l) => l.includes('keeps running after Quit')).length,
    0,
    'not for its own',
  );
});

test('a restart to update interrupts nothing of an agent the app attached to: it keeps running', async () => {
  const busy = {
    call: (method: string) =>
      Promise.resolve(
        method === 'connections.list'
          ? [{ kind: 'terminal-served' }, { kind: 'terminal-opened' }]
          : [{ state: 'sending' }],
      ),
  } as unknown as Parameters<typeof runningWork>[0];
  assert.deepEqual(
    await runningWork({ ...busy, hostState: () => ({ kind: 'running' }) }),
    { terminals: 1, served: 1, transfers: 1 },
    "the app's own agent: the restart interrupts them",
  );
  assert.deepEqual(
    await runningWork({ ...busy, hostState: () => ({ kind: 'running', attached: 'service' }) }),
    { terminals: 0, served: 0, transfers: 0 },
    'an attached agent: nothing is interrupted',
  );
});
