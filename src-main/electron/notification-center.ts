/**
 * Shows the notifications NoticeDecider picks (notifications.ts) as Electron Notifications, when the
 * Settings switch for their kind is on ("Desktop notifications", or "Notify on new messages" for a
 * message), and opens the window where a click asks. A new message is announced only while the
 * window is not in sight (closed to the tray, minimized, or behind another app): in sight, the
 * window shows it itself.
 */
import type * as electron from 'electron';
import type { ApiEvents, SettingsResult } from '../api/contract.js';
import { errorMessage } from '../core/errors.js';
import type { AgentConnection } from './agent-connection.js';
import { NoticeDecider, type DesktopNotice } from './notifications.js';
import type { WindowPlace } from './window-place.js';

/** The parts of a BrowserWindow that say whether it is in sight. */
export type SightWindow = Pick<electron.BrowserWindow, 'isVisible' | 'isMinimized' | 'isFocused'>;

/** Whether the user sees the window now: it exists, is shown, not minimized, and has the focus. */
export function windowInSight(win: SightWindow | null): boolean {
  return win !== null && win.isVisible() && !win.isMinimized() && win.isFocused();
}

export interface NotificationCenterOptions {
  Notification: Pick<typeof electron.Notification, 'isSupported'> &
    (new (options: electron.NotificationConstructorOptions) => electron.Notification);
  connection: Pick<AgentConnection, 'call'>;
  open: (place: WindowPlace) => void;
  log: (line: string) => void;
  decider?: NoticeDecider;
  /** Whether the window is in sight now (windowInSight); a new message is announced only when not. */
  inSight?: () => boolean;
}

/** Returns the listener to feed every agent event into. */
export function notificationCenter(
  options: NotificationCenterOptions,
): <E extends keyof ApiEvents>(event: E, data: ApiEvents[E]) => void {
  const decider = options.decider ?? new NoticeDecider();
  const inSight = options.inSight ?? (() => false);
  // Electron drops a notification's click handler once the object is garbage collected: keep them.
  const shown = new Set<electron.Notification>();

  const wanted = async (kind: DesktopNotice['kind']): Promise<boolean> => {
    // Read each time rather than cached: the window changes the switch through the agent, not through main.
    try {
      const settings: Partial<SettingsResult> = await options.connection.call('settings.get', {});
      // An agent of an older release has no message switch: on, its default.
      return kind === 'message' ? settings.messageNotifications !== false : settings.notifications !== false;
    } catch (err) {
      options.log(`notification settings unreadable (${errorMessage(err)}); showing it`);
      return true;
    }
  };

  const show = (notice: DesktopNotice) => {
    const n = new options.Notification({ title: notice.title, body: notice.body });
    shown.add(n);
    n.on('click', () => {
      shown.delete(n);
      options.open(notice.open);
    });
    n.on('close', () => shown.delete(n));
    n.show();
  };

  return (event, data) => {
    // A message the user sees arrive in the window is no news; nor does it start the decider's quiet
    // minute, so the first one after the window closes is announced.
    if (event === 'message' && inSight()) return;
    // The decider sees every other event, shown or not, so forward states stay current.
    const notices = decider.decide(event, data);
    if (notices.length === 0 || !options.Notification.isSupported()) return;
    for (const notice of notices)
      wanted(notice.kind).then(
        (on) => {
          if (on) show(notice);
        },
        // Whether it is wanted cannot be read (the agent is gone): nothing is shown, as when it is not.
        () => undefined,
      );
  };
}
