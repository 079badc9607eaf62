/**
 * "laptop asks to pair — see Approvals", wherever the window is: the Approvals count alone is easy to
 * miss. The toast goes as soon as the request is no longer pending (approved or rejected here, in the
 * CLI or the tray, withdrawn, expired), so it never points at a request that is not there. No React, so
 * node:test drives it with the real store over a FakeTransport.
 */
import type { PendingInfo } from '../../src-main/api/contract.js';
import type { AgentStore } from '../api/store.js';
import type { Disposer } from '../api/transport.js';
import type { Toasts } from './toasts.js';

interface Notice {
  toast: number;
  /** The request was in a pending list since: only then does its absence mean it went. */
  seen: boolean;
}

export function followRequestNotices(store: AgentStore, toasts: Toasts): Disposer {
  const notices = new Map<string, Notice>();
  const sweep = () => {
    const pending = new Set(store.get().pending.map((p) => p.id));
    const up = new Set(toasts.get().map((t) => t.id));
    for (const [id, notice] of notices) {
      if (!up.has(notice.toast)) {
        notices.delete(id);
      } else if (pending.has(id)) {
        notice.seen = true;
      } else if (notice.seen) {
        // Not before it was seen: a list read just before the request arrived does not name it yet.
        toasts.dismiss(notice.toast);
        notices.delete(id);
      }
    }
  };
  const offEvent = store.onAgentEvent((event, data) => {
    if (event !== 'pending.added') return;
    const request = data as PendingInfo;
    notices.set(request.id, {
      toast: toasts.show(`${request.displayName} asks to pair — see Approvals`),
      seen: false,
    });
    sweep();
  });
  const offStore = store.subscribe(sweep);
  return () => {
    offEvent();
    offStore();
  };
}
