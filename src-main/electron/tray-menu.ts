/**
 * The tray menu as data (architecture.md §The desktop app and the window): `trayMenuModel` is a pure
 * function of the tray state, so tests read exactly what the user will see and click what they would
 * click; `buildTrayMenu` only turns the model into an Electron Menu. docs/desktop-app.md describes
 * each item.
 */
import type { Menu, MenuItemConstructorOptions } from 'electron';
import type { PeerInfo, PendingInfo, StatusResult } from '../api/contract.js';
import type { ForwardInfo, ProxyInfo } from '../forwards/forwards-contract.js';
import type { GroupInfo } from '../groups/groups-contract.js';
import { agentReady, capText, peerStateText, statusLine, type TrayState } from './tray-status.js';
import type { WindowPlace } from './window-place.js';
import { updateTrayLabel, type UpdatePhase } from './update-policy.js';
import { attachedLine } from './agent-attach.js';

export { statusLine, trayIconState, trayTooltip, type TrayState } from './tray-status.js';

/** Pending requests listed one by one; the rest share one "N more…" line so the menu stays short. */
export const MAX_PENDING_ITEMS = 5;

/** What clicking an item does; the shell carries it out (tray-actions.ts). */
export type TrayAction =
  /** Shows the window, on `place` when given (else where it was). */
  | { do: 'open'; place?: WindowPlace }
  | { do: 'copy'; text: string }
  /** Switches a forward or proxy on (`forward.enable`) or off (`forward.disable`). */
  | { do: 'switch-forward'; name: string; on: boolean }
  | { do: 'open-at-login'; on: boolean }
  /** Starts the agent again after it was stopped on request (`clawbridge stop`). */
  | { do: 'start-agent' }
  /** The native file picker, then `files.send` to the peer, then the Files view (files-ipc.ts). */
  | { do: 'send-files'; peer: string; name: string }
  /** Shows the folder of main.log and agent.log in the file manager. */
  | { do: 'open-logs' }
  /** Installs the downloaded update and restarts, or opens Settings to ask when work is running. */
  | { do: 'restart-to-update' }
  | { do: 'quit' };

/** One menu line. `action: null` shows it greyed out (information only). */
export type TrayItem =
  | { type: 'separator' }
  | { type: 'item'; label: string; action: TrayAction | null; checked?: boolean }
  | { type: 'submenu'; label: string; items: TrayItem[] };

const separator: TrayItem = { type: 'separator' };
const info = (label: string): TrayItem => ({ type: 'item', label, action: null });
const item = (label: string, action: TrayAction, checked?: boolean): TrayItem =>
  checked === undefined ? { type: 'item', label, action } : { type: 'item', label, action, checked };

/** The update's line under the status line: restart when one is ready, else Settings → Updates. */
function updateItems(update: UpdatePhase | undefined): TrayItem[] {
  const label = update ? updateTrayLabel(update) : null;
  if (!update || !label) return [];
  const action: TrayAction =
    update.phase === 'ready' ? { do: 'restart-to-update' } : { do: 'open', place: { view: 'settings' } };
  return [item(label, action)];
}

export function trayMenuModel(state: TrayState): TrayItem[] {
  // An agent the app attached to, not its own, is said so: Quit leaves it running.
  const attached =
    state.host.kind === 'running' && state.host.attached ? [info(attachedLine(state.host.attached))] : [];
  const head = [info(statusLine(state)), ...attached, ...updateItems(state.update)];
  const tail = [
    separator,
    item('Open Clawbridge', { do: 'open' }),
    item('Start at login', { do: 'open-at-login', on: !state.openAtLogin }, state.openAtLogin),
    item('Open log folder', { do: 'open-logs' }),
    separator,
    item('Quit', { do: 'quit' }),
  ];
  if (state.host.kind === 'stopped') {
    // A start that failed shows its own words (cut to one line; the window and the log have them whole).
    const why = state.host.failure ? [info(capText(state.host.failure.reason))] : [];
    return [...head, ...why, item('Start agent', { do: 'start-agent' }), ...tail];
  }
  if (!agentReady(state)) return [...head, ...tail];
  const { pending, status, forwards, proxies } = state.agent;
  return [
    ...head,
    ...uiMovedItems(status.ui),
    ...pendingItems(pending),
    separator,
    { type: 'submenu', label: 'Peers', items: peersItems(status.peers) },
    ...groupsMenu(state.agent.groups),
    item('Pair new device…', { do: 'open', place: { view: 'pair', mode: 'new' } }),
    item('Join with code…', { do: 'open', place: { view: 'pair', mode: 'join' } }),
    { type: 'submenu', label: 'Forwards', items: forwardsItems(forwards, proxies) },
    ...tail,
  ];
}

/**
 * Where the web UI is when this start had to move it off the port it served on last: a browser page
 * open on the old port lost its agent and cannot follow (server.ts uiPortMove says the same in the log).
 */
function uiMovedItems(ui: StatusResult['ui']): TrayItem[] {
  if (ui?.movedFrom === undefined) return [];
  return [info(capText(`Web UI moved to ${ui.address} (port ${ui.movedFrom} was taken)`))];
}

function pendingItems(pending: readonly PendingInfo[]): TrayItem[] {
  if (pending.length === 0) return [];
  const shown = pending
    .slice(0, MAX_PENDING_ITEMS)
    .map((p) =>
      item(`Approve ${p.displayName}…`, { do: 'open', place: { view: 'approvals', request: p.id } }),
    );
  const rest = pending.length - shown.length;
  const more = rest > 0 ? [item(`${rest} more…`, { do: 'open', place: { view: 'approvals' } })] : [];
  return [separator, ...shown, ...more];
}

/** `terminal, forward`, or `nothing`. */
const grants = (allow: readonly string[]) => (allow.length > 0 ? allow.join(', ') : 'nothing');

function peersItems(peers: readonly PeerInfo[]): TrayItem[] {
  if (peers.length === 0) return [info('No peers yet')];
  return peers.map((peer): TrayItem => {
    // A peer that said it refuses terminals to this device: greyed out with why, not a click that fails.
    const refusesTerminal = peer.theyAllow !== null && !peer.theyAllow.includes('terminal');
    const refusesFiles = peer.theyAllow !== null && !peer.theyAllow.includes('files');
    return {
      type: 'submenu',
      label: `${peer.name} — ${peerStateText(peer)}`,
      items: [
        refusesTerminal
          ? info(`Open terminal — ${peer.name} does not allow terminals from this device`)
          : item('Open terminal', {
              do: 'open',
              place: { view: 'terminal', peer: peer.fingerprint, name: peer.name },
            }),
        refusesFiles
          ? info(`Send files… — ${peer.name} does not allow files from this device`)
          : item('Send files…', { do: 'send-files', peer: peer.fingerprint, name: peer.name }),
        item('Copy fingerprint', { do: 'copy', text: peer.fingerprint }),
        separator,
        // Both directions of trust, each side named (docs/protocol.md §Grants).
        info(`May do here: ${grants(peer.allow)}`),
        info(`Lets this device: ${peer.theyAllow === null ? 'not known yet' : grants(peer.theyAllow)}`),
      ],
    };
  });
}

/**
 * The groups this node owns or belongs to (absent from an agent without them, and while there are
 * none): each with its role, what members may do, and its devices, a terminal a click away on each
 * (a member's way in; an owner's devices are its peers too).
 */
function groupsMenu(groups: readonly GroupInfo[] | undefined): TrayItem[] {
  if (!groups || groups.length === 0) return [];
  const items = groups.map((g): TrayItem => {
    const members = g.members
      ? [info(`Members: ${g.members.map((m) => m.name).join(', ') || 'none yet'}`)]
      : [];
    const devices = g.devices.map((d) =>
      d.self
        ? info(`${d.name} — this device`)
        : item(`Open terminal on ${d.name} — ${d.online ? 'online' : 'offline'}`, {
            do: 'open',
            place: { view: 'terminal', peer: d.fingerprint, name: d.name },
          }),
    );
    return {
      type: 'submenu',
      label: `${g.name} — ${g.role === 'owner' ? 'owner' : 'member'}`,
      items: [
        ...(devices.length > 0 ? devices : [info('No devices yet')]),
        separator,
        info(`Members may: ${grants(g.permissions)}`),
        ...members,
      ],
    };
  });
  return [{ type: 'submenu', label: 'Groups', items }];
}

/** `web 127.0.0.1:8080 → desk:80 — listening`, `socks 127.0.0.1:1080 (SOCKS) — cannot listen: …`. */
function forwardLabel(f: ForwardInfo | ProxyInfo): string {
  const what = 'remote' in f ? `${f.local} → ${f.via}:${f.remote}` : `${f.local} (${f.kind.toUpperCase()})`;
  const state =
    f.state === 'error'
      ? `cannot listen${f.error ? `: ${capText(f.error)}` : ''}`
      : f.state === 'off'
        ? 'off'
        : 'on';
  return `${f.name} ${what} — ${state}`;
}

function forwardsItems(forwards: readonly ForwardInfo[], proxies: readonly ProxyInfo[]): TrayItem[] {
  const all = [...forwards, ...proxies];
  if (all.length === 0)
    return [info('No forwards yet'), item('Add a forward…', { do: 'open', place: { view: 'forwards' } })];
  // Checked means "meant to be on": an erroring forward is on and still retrying, so a click turns it off.
  return all.map((f) =>
    item(forwardLabel(f), { do: 'switch-forward', name: f.name, on: f.state === 'off' }, f.state !== 'off'),
  );
}

/**
 * Turns the model into a native menu; clicking an item calls `run` with its action. Labels carry
 * peer and forward names, so on Windows and Linux, where `&` marks a keyboard mnemonic, each `&` is
 * doubled to show as itself.
 */
export function buildTrayMenu(
  menu: Pick<typeof Menu, 'buildFromTemplate'>,
  items: readonly TrayItem[],
  run: (action: TrayAction) => void,
  platform: NodeJS.Platform = process.platform,
): Menu {
  const text = (label: string) => (platform === 'darwin' ? label : label.replace(/&/g, '&&'));
  const template = (i: TrayItem): MenuItemConstructorOptions => {
    if (i.type === 'separator') return { type: 'separator' };
    if (i.type === 'submenu') return { label: text(i.label), submenu: i.items.map(template) };
    const { action, checked } = i;
    const label = text(i.label);
    if (action === null) return { label, enabled: false };
    const click = () => run(action);
    return checked === undefined ? { label, click } : { label, type: 'checkbox', checked, click };
  };
  return menu.buildFromTemplate(items.map(template));
}
