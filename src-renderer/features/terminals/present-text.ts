/**
 * Who else is in a share, in the words of a joined tab's bar (JoinedBar.tsx): pure, so it is tested
 * without React.
 */
import type { PresentViewer } from '../../../src-main/terminal/shares/share-contract.js';

/** "Also here: d (typing), e." and those in the share not here now, this node left out. */
export function presentText(viewers: readonly PresentViewer[]): string {
  const others = viewers.filter((v) => !v.you);
  // One not here now may type once back: "typing" would say it is at it.
  const named = (v: PresentViewer) =>
    `${v.name}${v.device !== v.name ? ` on ${v.device}` : ''}${v.write ? (v.watching ? ' (typing)' : ' (may type)') : ''}`;
  const here = others.filter((v) => v.watching).map(named);
  const away = others.filter((v) => !v.watching).map(named);
  const said = here.length === 0 ? 'Nobody else is watching.' : `Also here: ${here.join(', ')}.`;
  return away.length === 0 ? said : `${said} Invited, not here now: ${away.join(', ')}.`;
}
