import { useSyncExternalStore } from 'react';
import { useServices } from '../api/hooks.js';

/** Short confirmations, announced politely; errors are shown beside their control instead. */
export function Toasts() {
  const { toasts } = useServices();
  const list = useSyncExternalStore(toasts.subscribe, toasts.get);
  return (
    <div className="toasts" role="status" aria-live="polite">
      {list.map((t) => (
        <div key={t.id} className="toast">
          {t.text}
          <button
            type="button"
            className="small plain"
            aria-label="Dismiss"
            onClick={() => toasts.dismiss(t.id)}
          >
            ✕
          </button>
        </div>
      ))}
    </div>
  );
}
