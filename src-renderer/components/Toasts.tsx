import { useSyncExternalStore } from 'react';
import { useServices } from '../api/hooks.js';
import { HintedText } from './HintedText.js';

/**
 * Short confirmations; errors are shown beside their control instead. The toasts themselves are not
 * live: a live container is read whole on every change (Chrome makes role=status atomic), so each new
 * toast would re-read the older ones with their buttons. One hidden region, always there, gets the
 * newest text alone, and says it again when the same words come back (saved twice: heard twice).
 */
export function Toasts() {
  const { toasts } = useServices();
  const list = useSyncExternalStore(toasts.subscribe, toasts.get);
  const news = useSyncExternalStore(toasts.subscribe, toasts.announced);
  return (
    <div className="toasts">
      <p className="visually-hidden" role="status">
        {/* A new node per toast (and the region empty a moment before a repeat, lib/toasts.ts). */}
        {news ? (
          <span key={news.id}>
            <HintedText text={news.text} hint={news.hint} />
          </span>
        ) : null}
      </p>
      {list.map((t) => (
        // Held while focused or pointed at (lib/toasts.ts): it does not vanish under the user.
        <div
          key={t.id}
          className="toast"
          onFocus={() => toasts.hold(t.id, 'focus')}
          onBlur={() => toasts.release(t.id, 'focus')}
          onMouseEnter={() => toasts.hold(t.id, 'pointer')}
          onMouseLeave={() => toasts.release(t.id, 'pointer')}
        >
          {/* A command the agent's words name is shown as code after them. */}
          <span>
            <HintedText text={t.text} hint={t.hint} />
          </span>
          <button
            type="button"
            className="small plain"
            aria-label={`Dismiss: ${t.text}`}
            onClick={() => toasts.dismiss(t.id)}
          >
            ✕
          </button>
        </div>
      ))}
    </div>
  );
}
