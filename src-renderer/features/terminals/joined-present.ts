/**
 * Who else is in a share this node joined, for its tab's bar (docs/adr/0123-shared-terminals.md): the
 * node where the shell runs is asked (`terminal.present`) every VIEWERS_POLL_MS while the tab is
 * shown, as the sharer's list is. A failed question keeps the last answer and says nothing: the pane
 * says so when the view itself is in trouble.
 */
import { useEffect, useState } from 'react';
import type { PresentViewer } from '../../../src-main/terminal/shares/share-contract.js';
import { useServices } from '../../api/hooks.js';
import { VIEWERS_POLL_MS } from './SharePanel.js';

/** The viewers of `share` as its host said last (undefined until it first answered, or while `off`). */
export function usePresent(share: string, off: boolean): PresentViewer[] | undefined {
  const { client } = useServices();
  const [viewers, setViewers] = useState<PresentViewer[] | undefined>(undefined);
  useEffect(() => {
    // A node that cannot ask (the relay's page) shows the bar without the list.
    if (off || !client.serves('terminal.present')) return;
    let stopped = false;
    // One question at a time: a slow host (it has 15 s to answer) is not asked again meanwhile.
    let asking = false;
    const ask = () => {
      if (asking) return;
      asking = true;
      client.call('terminal.present', { share }).then(
        (r) => {
          asking = false;
          if (!stopped) setViewers(r.viewers);
        },
        () => {
          asking = false;
        },
      );
    };
    ask();
    const timer = setInterval(ask, VIEWERS_POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [client, share, off]);
  return viewers;
}
