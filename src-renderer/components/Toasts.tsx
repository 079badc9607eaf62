import { useSyncExternalStore } from 'react';
import { useServices } from '../api/hooks.js';

/**
 * Short confirmations; errors are shown beside their control instead. The toasts themselves are not
 * live: a live container is read whole on every change (Chrome makes role=status atomic), so each new
 * toast would re-read the older ones with their buttons. One hidden region, always there, gets the
 * newest text alone.
 */
export function Toasts() {
  const { toasts } = useServices();
  const list = useSyncExternalStore(toasts.subscribe, toasts.get);
  const news = useSyncExternalStore(toasts.subscribe, toasts.announcement);
  return (
    <div className="toasts">
      <p className="visually-hidden" role="status">
        {news}
      </p>
      {list.map((t) => (
        <div key={t.id} className="toast">
          {t.text}
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
