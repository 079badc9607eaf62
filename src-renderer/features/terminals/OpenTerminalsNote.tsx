import { useSyncExternalStore } from 'react';
import { useService } from '../../api/hooks.js';
import { TERMINALS } from './terminal-manager.js';

/** The sidebar's `2 terminals open`, or nothing. */
export function OpenTerminalsNote() {
  const terminals = useService(TERMINALS);
  // Live tabs only: one that failed to open or whose session ended has no terminal open any more.
  const tabs = useSyncExternalStore(terminals.subscribe, terminals.get).tabs.filter(
    (t) => t.session.live,
  ).length;
  return tabs > 0 ? (
    <p className="muted small-text">{tabs === 1 ? '1 terminal open' : `${tabs} terminals open`}</p>
  ) : null;
}
