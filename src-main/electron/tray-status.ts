/**
 * The one-line summary of the agent that the tray shows as its first menu line and its tooltip, and
 * the icon variant that goes with it (architecture.md §The desktop app and the window). Pure functions
 * of what the shell knows, so every state is tested.
 */
import type { PeerInfo, StatusEvent } from '../api/contract.js';
import type { AgentHostState } from './agent-connection.js';
import type { TrayIconState } from './tray-icons.js';
import type { UpdatePhase } from './update-policy.js';

/** Everything the tray reads: the agent host's lifecycle and the agent's last status event. */
export interface TrayState {
  host: AgentHostState;
  /** The newest `status` event, or null before the first one arrived. */
  agent: StatusEvent | null;
  /** "Start at login" is on. */
  openAtLogin: boolean;
  /** Where the updater stands (update-controller.ts); absent when the app runs without one. */
  update?: UpdatePhase;
}

/** The agent answers calls: the menu may offer peers, forwards and pairing. */
export function agentReady(state: TrayState): state is TrayState & { agent: StatusEvent } {
  return state.host.kind === 'running' && state.agent !== null;
}

/**
 * Longest tray menu line, in characters (80): a reason can run to 2000 characters (a config.json
 * error quotes paths and values), and a menu as wide as the screen helps no one. Longer lines end in `…`.
 */
export const MAX_LABEL_CHARS = 80;

/**
 * Longest tooltip, in characters (127): Windows cuts a tray tooltip there (128 with its terminator);
 * macOS and Linux show it whole, and the same text everywhere is simpler to describe.
 */
export const MAX_TOOLTIP_CHARS = 127;

/** `text` cut to `max` characters (code points, so no emoji is split), ending in `…` when it was cut. */
export function capText(text: string, max: number = MAX_LABEL_CHARS): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  return `${chars
    .slice(0, max - 1)
    .join('')
    .trimEnd()}…`;
}

/**
 * `Online — 2 direct, 1 relay`, `Connecting to relay…`, `Offline: <reason>`, and while the host is
 * not running `Starting…` / `Agent restarting: <reason>…` / `Agent stopped` /
 * `Agent stopped: settings file is invalid`. At most MAX_LABEL_CHARS long.
 */
export function statusLine(state: TrayState): string {
  return capText(fullStatusLine(state));
}

/** The tooltip: the status line and, when the agent could not start, its reason, within MAX_TOOLTIP_CHARS. */
export function trayTooltip(state: TrayState): string {
  const line = statusLine(state);
  const { host } = state;
  if (host.kind !== 'stopped' || !host.failure) {
    // A downloaded update waits for the user: the tooltip says so where the icon is all they see.
    const u = state.update;
    if (u?.phase !== 'ready') return line;
    return capText(`${line}\nUpdate ready — restart to update (v${u.version})`, MAX_TOOLTIP_CHARS);
  }
  return `${line}\n${capText(host.failure.reason, MAX_TOOLTIP_CHARS - [...line].length - 1)}`;
}

/**
 * Why a failed agent stopped, in a few words: a settings file that does not read as settings, or else
 * something else in its data folder (its owner, a key file) that needs a person.
 */
export function failureSummary(reason: string): string {
  return /config\.json/.test(reason) ? 'settings file is invalid' : 'its data folder needs fixing';
}

function fullStatusLine(state: TrayState): string {
  const { host } = state;
  if (host.kind === 'restarting') return `Agent restarting: ${host.reason}…`;
  if (host.kind === 'stopped')
    return host.failure ? `Agent stopped: ${failureSummary(host.failure.reason)}` : 'Agent stopped';
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
