/**
 * "laptop asks to pair — see Approvals", wherever the window is: the Approvals count alone is easy to
 * miss. The toast goes as soon as the request is no longer pending (approved or rejected here, in the
 * CLI or the tray, withdrawn, expired), so it never points at a request that is not there. No React, so
 * node:test drives it with the real store over a FakeTransport.
 *
 * Not while "Pair new device" shows the code the request used: that view says "bravo wants to pair"
 * itself, with Approve beside it, and a second announcement (and a toast over its buttons in a small
 * window) would only be in the way.
 */
import type { PairingEvent, PendingInfo } from '../../../src-main/api/contract.js';
import type { AgentStore } from '../../api/store.js';
import type { Disposer } from '../../api/transport.js';
import type { Toasts } from '../../lib/toasts.js';
import { PairScreen } from '../pair/pair-screen.js';

interface Notice {
  toast: number;
  /** The request was in a pending list since: only then does its absence mean it went. */
  seen: boolean;
}

/**
 * How long a request that came with a code waits for its `pairing` event before it is toasted, in ms
 * (1 s), while the Pair view shows a code. The agent sends `pending.added` just before the event that
 * names the device on the Pair view, so the event is normally a few ms behind; a request for another
 * code (one the CLI made) still gets its toast, a second late.
 */
export const PAIR_VIEW_HOLD_MS = 1000;

export function followRequestNotices(store: AgentStore, toasts: Toasts, screen = new PairScreen()): Disposer {
  const notices = new Map<string, Notice>();
  /** Requests held back while the Pair view may be about to show them, by fingerprint. */
  const held = new Map<string, ReturnType<typeof setTimeout>>();
  /** Devices the Pair view showed before their request arrived, by fingerprint. */
  const shown = new Set<string>();
  const toast = (request: PendingInfo) => {
    notices.set(request.id, {
      toast: toasts.show(`${request.displayName} asks to pair — see Approvals`),
      seen: false,
    });
    sweep();
  };
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
    if (event === 'pairing') {
      const e = data as PairingEvent;
      if (e.role !== 'new' || e.step !== 'joined' || !e.fingerprint || e.code !== screen.code) return;
      const timer = held.get(e.fingerprint);
      // The usual order: the request was held, and the Pair view says it now instead.
      if (timer !== undefined) {
        clearTimeout(timer);
        held.delete(e.fingerprint);
      } else shown.add(e.fingerprint);
      return;
    }
    if (event !== 'pending.added') return;
    const request = data as PendingInfo;
    if (request.via === 'code' && screen.code !== null) {
      if (shown.delete(request.fingerprint)) return;
      clearTimeout(held.get(request.fingerprint));
      held.set(
        request.fingerprint,
        setTimeout(() => {
          held.delete(request.fingerprint);
          toast(request);
        }, PAIR_VIEW_HOLD_MS),
      );
      return;
    }
    toast(request);
  });
  const offStore = store.subscribe(sweep);
  return () => {
    offEvent();
    offStore();
    for (const timer of held.values()) clearTimeout(timer);
  };
}
