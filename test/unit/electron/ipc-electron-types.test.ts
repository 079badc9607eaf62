/**
 * The narrow Electron shapes the agent host and the IPC transport declare must be what the real
 * `electron` module provides, so main.ts can pass it as it is. Checked by the compiler (`npm run
 * typecheck`); the test only makes the file part of the suite.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as Electron from 'electron';
import type { AgentHostElectron } from '../../../src-main/electron/agent-host.js';
import type { ApiIpcElectron } from '../../../src-main/electron/api-ipc.js';
import type { SessionHostElectron } from '../../../src-main/electron/session-host-launcher.js';

test("electron's ipcMain, MessageChannelMain and utilityProcess fit what main's modules ask for", () => {
  const forIpc = (e: typeof Electron): ApiIpcElectron => ({
    ipcMain: e.ipcMain,
    MessageChannelMain: e.MessageChannelMain,
  });
  const forHost = (e: typeof Electron): AgentHostElectron => ({ utilityProcess: e.utilityProcess });
  // The session host's launcher gets the agent host's (agent-host.ts passes it on).
  const forLauncher = (e: AgentHostElectron): SessionHostElectron => e;
  const forSessions = (e: typeof Electron): SessionHostElectron => ({ utilityProcess: e.utilityProcess });
  assert.equal(typeof forIpc, 'function');
  assert.equal(typeof forHost, 'function');
  assert.equal(typeof forLauncher, 'function');
  assert.equal(typeof forSessions, 'function');
});
