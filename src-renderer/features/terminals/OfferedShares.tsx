import { useService, useStore } from '../../api/hooks.js';
import { SHARES } from './shares-store.js';
import type { TerminalManager } from './terminal-manager.js';
import type { TerminalTab } from './terminal-tab.js';

/**
 * The terminals peers shared with this node and it has not open in a tab, each with Join (a new tab;
 * TerminalManager.join). Live: an offer appears, changes or goes as `terminal.offers` says.
 */
export function OfferedShares({
  terminals,
  tabs,
}: {
  terminals: Pick<TerminalManager, 'join'>;
  tabs: readonly TerminalTab[];
}) {
  const shares = useService(SHARES);
  const offered = useStore(shares.live, (s) => s.offered);
  const open = new Set(tabs.filter((t) => !t.dead).map((t) => t.target.joined?.share));
  const shown = offered.filter((o) => !open.has(o.share));
  if (shown.length === 0) return null;
  return (
    <section className="offered-shares" aria-label="Shared with this device">
      <ul>
        {shown.map((o) => (
          <li key={o.share}>
            <span>
              <strong>{o.sharerName}</strong> shares a {o.what} on {o.hostName} with you (
              {o.write ? 'you may type' : 'read-only'})
            </span>
            <button
              type="button"
              className="small primary"
              aria-label={`Join ${o.sharerName}'s terminal on ${o.hostName}`}
              onClick={() => terminals.join(o)}
            >
              Join
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
