import { useSyncExternalStore } from 'react';
import { useServices } from '../api/hooks.js';
import { MessageText } from './MessageText.js';

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
            <MessageText text={news.text} />
          </span>
        ) : null}
      </p>
      {list.map((t) => (
        <div key={t.id} className="toast">
          {/* The agent's words mark commands with backticks: shown as code, as beside a forward. */}
          <span>
            <MessageText text={t.text} />
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
