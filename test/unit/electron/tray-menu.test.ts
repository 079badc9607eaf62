import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildTrayMenu,
  trayMenuModel,
  type TrayAction,
  type TrayItem,
  type TrayState,
} from '../../../src-main/electron/tray-menu.js';
import type { AgentPeerStatus, AgentStatus } from '../../../src-main/electron/agent-port.js';

const me = { name: 'desk', fingerprint: 'a'.repeat(64) };
const relay = (connected: boolean) => ({ url: 'wss://relay.example', connected });
const peer = (name: string, path: AgentPeerStatus['path'], rttMs: number | null = null): AgentPeerStatus => ({
  name,
  fingerprint: name.padEnd(64, '0').replace(/[^0-9a-f]/g, 'b'),
  online: path !== null,
  path,
  rttMs,
});
const running = (status: Partial<AgentStatus>): TrayState => ({
  kind: 'running',
  status: { ...me, relays: [], peers: [], ...status },
});
/** The menu as the user reads it: greyed-out lines in brackets, separators as '—'. */
const lines = (items: TrayItem[]) =>
  items.map((i) => (i.type === 'separator' ? '—' : i.action ? i.label : `[${i.label}]`));

test('no peers: status line says so, then Open and Quit', () => {
  assert.deepEqual(lines(trayMenuModel(running({ relays: [relay(true)] }))), [
    '[Online · no peers yet]',
    '—',
    'Open Clawbridge',
    'Quit Clawbridge',
  ]);
  assert.equal(lines(trayMenuModel(running({ relays: [relay(false)] })))[0], '[Offline · no peers yet]');
});

test('peers online direct and by relay, and one offline, each on its own line', () => {
  const state = running({
    relays: [relay(false)],
    peers: [peer('laptop', 'direct', 11.6), peer('nas', 'relay', 48), peer('pi', null)],
  });
  assert.deepEqual(lines(trayMenuModel(state)), [
    '[Online · 2/3 peers online (1 direct, 1 relay)]',
    '—',
    '[laptop — direct, 12 ms]',
    '[nas — relay, 48 ms]',
    '[pi — offline]',
    '—',
    'Open Clawbridge',
    'Quit Clawbridge',
  ]);
});

test('agent error and start-up are shown on the status line, Quit stays available', () => {
  assert.deepEqual(lines(trayMenuModel({ kind: 'error', message: 'identity file is corrupt' })), [
    '[Agent stopped: identity file is corrupt]',
    '—',
    'Open Clawbridge',
    'Quit Clawbridge',
  ]);
  assert.equal(lines(trayMenuModel({ kind: 'starting' }))[0], '[Starting…]');
});

test('buildTrayMenu disables information lines and wires actions to clicks', () => {
  const ran: TrayAction[] = [];
  const fakeMenu = { buildFromTemplate: (template: unknown) => template };
  const template = buildTrayMenu(fakeMenu as never, trayMenuModel({ kind: 'starting' }), (a) =>
    ran.push(a),
  ) as unknown as { label?: string; enabled?: boolean; type?: string; click?: () => void }[];
  assert.equal(template[0]?.enabled, false);
  assert.equal(template[1]?.type, 'separator');
  template[2]?.click?.();
  template[3]?.click?.();
  assert.deepEqual(ran, ['open-window', 'quit']);
});
