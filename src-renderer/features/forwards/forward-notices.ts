/**
 * What the agent says about a forward or proxy (a connection its peer refused, open connections a lost
 * link cut: the `notice` event), as a toast wherever the window is: the Forwards view shows a listening
 * port either way, and these reasons otherwise reach only the agent's log. The same words again within
 * NOTICE_REPEAT_MS are not shown twice (a browser opens several connections at once, each refused).
 */
import type { NoticeEvent } from '../../../src-main/api/contract.js';
import type { AgentStore } from '../../api/store.js';
import type { Disposer } from '../../api/transport.js';
import type { Toasts } from '../../lib/toasts.js';
import { parseHint } from '../../api/hint.js';

export const NOTICE_REPEAT_MS = 10_000;

export function followForwardNotices(store: AgentStore, toasts: Toasts, now = () => Date.now()): Disposer {
  const shown = new Map<string, number>();
  return store.onAgentEvent((event, data) => {
    if (event !== 'notice') return;
    const { message } = data as NoticeEvent;
    const hint = parseHint((data as { hint?: unknown }).hint);
    const t = now();
    for (const [text, at] of shown) if (t - at >= NOTICE_REPEAT_MS) shown.delete(text);
    if (shown.has(message)) return;
    shown.set(message, t);
    toasts.show(message, hint);
  });
}
