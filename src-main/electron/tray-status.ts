/**
 * The one-line summary of the agent that the tray shows as its first menu line and its tooltip, and
 * the icon variant that goes with it (architecture.md §The desktop app and the window). Pure functions
 * of what the shell knows, so every state is tested.
 */
import type { PeerInfo, StatusEvent } from '../api/contract.js';
import type { AgentHostState } from './agent-connection.js';
import type { TrayIconState } from './tray-icons.js';

/** Everything the tray reads: the agent host's lifecycle and the agent's last status event. */
export interface TrayState {
  host: AgentHostState;
  /** The newest `status` event, or null before the first one arrived. */
  agent: StatusEvent | null;
  /** "Start at login" is on. */
  openAtLogin: boolean;
}

/** The agent answers calls: the menu may offer peers, forwards and pairing. */
export function agentReady(state: TrayState): state is TrayState & { agent: StatusEvent } {
  return state.host.kind === 'running' && state.agent !== null;
}

/**
 * `Online — 2 direct, 1 relay`, `Connecting to relay…`, `Offline: <reason>`, and while the host is
 * not running `Starting…` / `Agent restarting: <reason>…` / `Agent stopped`.
 */
export function statusLine(state: TrayState): string {
  const { host } = state;
  if (host.kind === 'restarting') return `Agent restarting: ${host.reason}…`;
  if (host.kind === 'stopped') return 'Agent stopped';
  if (!agentReady(state)) return 'Starting…';
  const { relays, peers } = state.agent.status;
  const online = peers.filter((p) => p.state === 'online');
  if (online.length > 0 || relays.some((r) => r.connected)) {
    const direct = online.filter((p) => p.path === 'direct').length;
    const relayed = online.filter((p) => p.path === 'relay').length;
    return `Online — ${direct} direct, ${relayed} relay`;
  }
  if (relays.length === 0) return 'Offline: no relay configured';
  const failed = relays.find((r) => r.error !== undefined);
  return failed ? `Offline: ${failed.error}` : 'Connecting to relay…';
}

/** The icon variant (tray-icons.ts names its file): attention means requests wait for approval. */
export function trayIconState(state: TrayState): TrayIconState {
  if (!agentReady(state)) return 'offline';
  if (state.agent.pending.length > 0) return 'attention';
  return statusLine(state).startsWith('Online') ? 'online' : 'offline';
}

/** A peer's state in a word or two: `direct`, `relay`, `offline`, `waiting for approval`, … */
export function peerStateText(peer: Pick<PeerInfo, 'state' | 'path'>): string {
  switch (peer.state) {
    case 'online':
      return peer.path ?? 'online';
    case 'waiting':
      return 'waiting for their approval';
    case 'refused':
      return 'refused by them';
    case 'unreachable':
      return 'unreachable';
    case 'offline':
      return 'offline';
  }
}
