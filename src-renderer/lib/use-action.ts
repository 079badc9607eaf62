import { useCallback, useRef, useState } from 'react';
import { messageOf } from '../api/client.js';

/**
 * Runs one user action at a time and keeps its error to show beside the control that caused it. The
 * form's own state is untouched on failure, so nothing typed is lost.
 */
export function useAction(explain: (err: unknown) => string = messageOf): {
  run: <T>(action: () => Promise<T>) => Promise<T | undefined>;
  busy: boolean;
  error: string | null;
  clear: () => void;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const running = useRef(false);
  // A ref, so a new `explain` each render does not make a new `run`.
  const explainRef = useRef(explain);
  explainRef.current = explain;
  const run = useCallback(async <T>(action: () => Promise<T>): Promise<T | undefined> => {
    if (running.current) return undefined;
    running.current = true;
    setBusy(true);
    setError(null);
    try {
      return await action();
    } catch (err) {
      setError(explainRef.current(err));
      return undefined;
    } finally {
      running.current = false;
      setBusy(false);
    }
  }, []);
  return { run, busy, error, clear: useCallback(() => setError(null), []) };
}
