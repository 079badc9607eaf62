import { useEffect, useState } from 'react';

/**
 * How long the window waits for a lost agent before it says more than "retrying…" and stops marking the
 * view busy, in ms (8 s: a restart in place is back well within it; a web UI that moved to another port
 * never comes back here).
 */
export const LONG_WAIT_MS = 8_000;

/** True once `waiting` has held for `ms` without a break; false again as soon as it ends. */
export function useLongWait(waiting: boolean, ms = LONG_WAIT_MS): boolean {
  const [long, setLong] = useState(false);
  useEffect(() => {
    setLong(false);
    if (!waiting) return;
    const t = setTimeout(() => setLong(true), ms);
    return () => clearTimeout(t);
  }, [waiting, ms]);
  return long;
}
