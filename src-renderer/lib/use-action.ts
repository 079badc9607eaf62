import { useCallback, useEffect, useRef, useState } from 'react';
import { messageOf } from '../api/client.js';
import { useAgent } from '../api/hooks.js';
import { ApiError } from '../api/transport.js';
import type { Problem } from '../api/hint.js';
import { inBackground } from '../../src-main/core/background.js';

/**
 * Runs one user action at a time and keeps its error to show beside the control that caused it. The
 * form's own state is untouched on failure, so nothing typed is lost. An error that only said the agent
 * was unreachable goes once it is back (the banner said so meanwhile).
 */
export function useAction(explain: (err: unknown) => string = messageOf): {
  run: <T>(action: () => Promise<T>) => Promise<T | undefined>;
  /** run, from a handler that does not wait for it (a click): its failure is shown all the same. */
  start: (action: () => Promise<unknown>) => void;
  busy: boolean;
  error: Problem | null;
  clear: () => void;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Problem | null>(null);
  const [offlineError, setOfflineError] = useState(false);
  const running = useRef(false);
  const connected = useAgent((s) => s.connection.kind === 'connected');
  const wasConnected = useRef(connected);
  useEffect(() => {
    // On the way back only: the call may fail a moment before the connection state says so.
    if (connected && !wasConnected.current && offlineError) {
      setError(null);
      setOfflineError(false);
    }
    wasConnected.current = connected;
  }, [connected, offlineError]);
  // A ref, so a new `explain` each render does not make a new `run`.
  const explainRef = useRef(explain);
  explainRef.current = explain;
  const run = useCallback(async <T>(action: () => Promise<T>): Promise<T | undefined> => {
    if (running.current) return undefined;
    running.current = true;
    setBusy(true);
    setError(null);
    setOfflineError(false);
    try {
      return await action();
    } catch (err) {
      // The command the agent's line names goes with it (a refusal explained in the window's own
      // words never has one: only this node's agent gives hints).
      const hint = err instanceof ApiError ? err.hint : undefined;
      setError(hint ? { text: explainRef.current(err), hint } : { text: explainRef.current(err) });
      setOfflineError(err instanceof ApiError && err.code === 'AGENT_UNREACHABLE');
      return undefined;
    } finally {
      running.current = false;
      setBusy(false);
    }
  }, []);
  // run shows every failure of the action itself; a throw past that (a bug) goes to the console.
  const start = useCallback(
    (action: () => Promise<unknown>) => inBackground(run(action), console, 'a window action'),
    [run],
  );
  return { run, start, busy, error, clear: useCallback(() => setError(null), []) };
}
