/**
 * Shows the notifications NoticeDecider picks (notifications.ts) as Electron Notifications, when the
 * Settings switch "Desktop notifications" is on, and opens the window where a click asks.
 */
import type * as electron from 'electron';
import type { ApiEvents } from '../api/contract.js';
import { errorMessage } from '../core/errors.js';
import type { AgentConnection } from './agent-connection.js';
import { NoticeDecider, type DesktopNotice } from './notifications.js';
import type { WindowPlace } from './window-place.js';

export interface NotificationCenterOptions {
  Notification: Pick<typeof electron.Notification, 'isSupported'> &
    (new (options: electron.NotificationConstructorOptions) => electron.Notification);
  connection: Pick<AgentConnection, 'call'>;
  open: (place: WindowPlace) => void;
  log: (line: string) => void;
  decider?: NoticeDecider;
}

/** Returns the listener to feed every agent event into. */
export function notificationCenter(
  options: NotificationCenterOptions,
): <E extends keyof ApiEvents>(event: E, data: ApiEvents[E]) => void {
  const decider = options.decider ?? new NoticeDecider();
  // Electron drops a notification's click handler once the object is garbage collected: keep them.
  const shown = new Set<electron.Notification>();

  const wanted = async (): Promise<boolean> => {
    // Read each time rather than cached: the window changes the switch through the agent, not through main.
    try {
      return (await options.connection.call('settings.get', {})).notifications;
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
    // The decider sees every event, shown or not, so forward states stay current.
    const notices = decider.decide(event, data);
    if (notices.length === 0 || !options.Notification.isSupported()) return;
    void wanted().then((on) => {
      if (on) for (const notice of notices) show(notice);
    });
  };
}
