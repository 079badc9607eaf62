/**
 * The tray menu as data (architecture.md §The desktop app and the window): `trayMenuModel` is a pure function of the agent's state, so tests
 * read exactly what the user will see; `buildTrayMenu` only turns that model into an Electron Menu.
 */
import type { Menu, MenuItemConstructorOptions } from 'electron';
import type { AgentPeerStatus, AgentStatus } from './agent-port.js';

/** What the shell knows about the agent. */
export type TrayState =
  { kind: 'starting' } | { kind: 'running'; status: AgentStatus } | { kind: 'error'; message: string };

export type TrayAction = 'open-window' | 'quit';

/** One menu line; `action: null` shows it greyed out (information only). */
export type TrayItem = { type: 'separator' } | { type: 'item'; label: string; action: TrayAction | null };

/** One-line summary, used as the menu's first line and as the tray tooltip. */
export function statusLine(state: TrayState): string {
  if (state.kind === 'starting') return 'Starting…';
  if (state.kind === 'error') return `Agent stopped: ${state.message}`;
  const { relays, peers } = state.status;
  const online = peers.filter((p) => p.online);
  const reachable = relays.some((r) => r.connected) || online.length > 0;
  const head = reachable ? 'Online' : 'Offline';
  if (peers.length === 0) return `${head} · no peers yet`;
  const direct = online.filter((p) => p.path === 'direct').length;
  const relay = online.filter((p) => p.path === 'relay').length;
  const noun = peers.length === 1 ? 'peer' : 'peers';
  return `${head} · ${online.length}/${peers.length} ${noun} online (${direct} direct, ${relay} relay)`;
}

/** `laptop — direct, 12 ms`, `laptop — relay`, `laptop — offline`. */
export function peerLine(peer: AgentPeerStatus): string {
  if (!peer.online || peer.path === null) return `${peer.name} — offline`;
  const rtt = peer.rttMs === null ? '' : `, ${Math.round(peer.rttMs)} ms`;
  return `${peer.name} — ${peer.path}${rtt}`;
}

export function trayMenuModel(state: TrayState): TrayItem[] {
  const peers = state.kind === 'running' ? state.status.peers : [];
  return [
    { type: 'item', label: statusLine(state), action: null },
    ...(peers.length > 0 ? [{ type: 'separator' } as const] : []),
    ...peers.map((peer): TrayItem => ({ type: 'item', label: peerLine(peer), action: null })),
    { type: 'separator' },
    { type: 'item', label: 'Open Clawbridge', action: 'open-window' },
    { type: 'item', label: 'Quit Clawbridge', action: 'quit' },
  ];
}

/** Turns the model into a native menu; clicking an item calls `run` with its action. */
export function buildTrayMenu(
  menu: Pick<typeof Menu, 'buildFromTemplate'>,
  items: TrayItem[],
  run: (action: TrayAction) => void,
): Menu {
  const template = items.map((item): MenuItemConstructorOptions => {
    if (item.type === 'separator') return { type: 'separator' };
    const { label, action } = item;
    return action === null ? { label, enabled: false } : { label, click: () => run(action) };
  });
  return menu.buildFromTemplate(template);
}
