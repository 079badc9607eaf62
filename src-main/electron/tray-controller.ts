/**
 * Keeps the tray in step with the agent (architecture.md §The desktop app and the window): the state
 * changes with every status event and host change, and the menu, tooltip and icon are rebuilt from it
 * (tray-menu.ts) at most once per turn of the event loop, however many changes arrived in between.
 */
import type * as electron from 'electron';
import type { AgentHostState } from './agent-connection.js';
import type { StatusEvent } from '../api/contract.js';
import type { TrayIconState } from './tray-icons.js';
import { buildTrayMenu, trayIconState, trayMenuModel, trayTooltip, type TrayAction } from './tray-menu.js';
import type { TrayState } from './tray-status.js';
import type { UpdatePhase } from './update-policy.js';

export interface TrayController {
  state(): TrayState;
  setHost(host: AgentHostState): void;
  setAgent(agent: StatusEvent): void;
  setOpenAtLogin(on: boolean): void;
  setUpdate(update: UpdatePhase): void;
  destroy(): void;
}

export interface TrayControllerOptions {
  tray: Pick<electron.Tray, 'setContextMenu' | 'setToolTip' | 'setImage' | 'destroy'>;
  Menu: Pick<typeof electron.Menu, 'buildFromTemplate'>;
  /** The image for an icon state (tray-icons.ts names the files). */
  icon: (state: TrayIconState) => electron.NativeImage | string;
  run: (action: TrayAction) => void;
  initial: TrayState;
  platform: NodeJS.Platform;
}

export function trayController(options: TrayControllerOptions): TrayController {
  let state = options.initial;
  let scheduled = false;
  let destroyed = false;
  let shownIcon: TrayIconState | null = null;

  const render = () => {
    scheduled = false;
    if (destroyed) return;
    const { tray } = options;
    tray.setContextMenu(buildTrayMenu(options.Menu, trayMenuModel(state), options.run, options.platform));
    tray.setToolTip(trayTooltip(state));
    const icon = trayIconState(state);
    if (icon !== shownIcon) {
      tray.setImage(options.icon(icon));
      shownIcon = icon;
    }
  };
  const update = (next: TrayState) => {
    state = next;
    if (scheduled) return;
    scheduled = true;
    setImmediate(render);
  };
  render();

  return {
    state: () => state,
    // The last status belongs to the agent process that was running: once the host leaves 'running'
    // it is forgotten, so a restarted agent shows `Starting…` until its own first status arrives.
    setHost: (host) => update({ ...state, host, agent: host.kind === 'running' ? state.agent : null }),
    setAgent: (agent) => update({ ...state, agent }),
    setOpenAtLogin: (openAtLogin) => update({ ...state, openAtLogin }),
    setUpdate: (phase) => update({ ...state, update: phase }),
    destroy() {
      destroyed = true;
      options.tray.destroy();
    },
  };
}
