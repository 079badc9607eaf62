/**
 * How the node's parts tell the user something: `changed` (status moved: the API's status event, the
 * tray) and notices, one-line problems or news (a relay's error, a forward that cannot listen). One part
 * of its own, so every other part takes only this instead of the whole node.
 */
import type { Logger } from 'pino';
import type { NoticeEvent } from '../api/contract.js';
import { Emitter, type Disposer } from '../core/emitter.js';

export class Notices {
  /**
   * `notice` is for what prints notices as the agent's own output (the CLI); `window-notice` for the
   * API's subscribers (the window), which do not replace the log line.
   */
  readonly events = new Emitter<{ changed: []; notice: [NoticeEvent]; 'window-notice': [NoticeEvent] }>();

  constructor(private readonly log: Logger) {}

  changed(): void {
    this.events.emit('changed');
  }

  onChanged(listener: () => void): Disposer {
    return this.events.on('changed', listener);
  }

  /**
   * A one-line problem the user should see. It is logged too, at `warn` when nothing shows notices
   * (the desktop app's agent logs to `agent.log`, where the user finds it with the tray's "Open log
   * folder") and at `info` when something does: the CLI prints notices on the stderr its log also
   * goes to, and a warning there would print every one twice.
   */
  notice(notice: NoticeEvent, fields: object = {}): void {
    const shown = this.events.listenerCount('notice') > 0;
    this.events.emit('notice', notice);
    this.events.emit('window-notice', notice);
    const logged = { ...fields, kind: notice.kind, ...(notice.hint ? { hint: notice.hint } : {}) };
    if (shown) this.log.info(logged, notice.message);
    else this.log.warn(logged, notice.message);
  }

  /**
   * The notices of `kinds`, for the API's event subscribers: the kinds a domain's contract piece sends
   * them (api/contract-piece.ts NoticePolicy; the forwards' notices, which the window has no other way
   * to learn). Other notices are news the window shows in its own way (a request to pair, a relay's
   * state).
   */
  onNoticeOf(kinds: ReadonlySet<string>, listener: (notice: NoticeEvent) => void): Disposer {
    return this.events.on('window-notice', (notice) => {
      if (kinds.has(notice.kind)) listener(notice);
    });
  }
}

/** The part of Notices most parts use: say that something changed, or tell the user a line. */
export type Notifier = Pick<Notices, 'changed' | 'notice'>;
