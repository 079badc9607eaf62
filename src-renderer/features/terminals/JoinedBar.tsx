import { useEffect } from 'react';
import { useService, useStore } from '../../api/hooks.js';
import { usePresent } from './joined-present.js';
import { presentText } from './present-text.js';
import { SHARES } from './shares-store.js';
import type { TerminalTab } from './terminal-tab.js';

/**
 * The bar above a terminal another node shared with this one: who shared it, where it runs, and
 * whether this node may type. It follows the sharer's switch live (`terminal.offers`): the tab takes
 * keys only while the offer says so; an offer gone (revoked, stopped) leaves it watching. Who else
 * is there is asked where the shell runs while the tab is shown (joined-present.ts), and said in the
 * bar's text.
 */
export function JoinedBar({
  tab,
  share,
  sharerName,
  ended,
}: {
  tab: TerminalTab;
  share: string;
  sharerName: string;
  /** The view ended: what this node may do no longer applies (the pane says why it ended). */
  ended: boolean;
}) {
  const shares = useService(SHARES);
  const offer = useStore(shares.live, (s) => s.offered.find((o) => o.share === share));
  const write = offer?.write ?? false;
  useEffect(() => tab.setReadOnly(!write), [tab, write]);
  const present = usePresent(share, ended);
  return (
    <p className="share-bar joined-bar" role="status">
      <span>
        Shared by <strong>{sharerName}</strong>, running on {tab.target.peerName}.
      </span>{' '}
      {ended ? null : write ? (
        <span className="joined-typing">You may type: what you type reaches the shell.</span>
      ) : (
        <span className="joined-watching">Read-only: you are watching, and what you type is not sent.</span>
      )}
      {!ended && present ? (
        <>
          {' '}
          <span className="joined-present">{presentText(present)}</span>
        </>
      ) : null}
    </p>
  );
}
