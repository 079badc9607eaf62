import type { IntentOf } from '../../lib/navigation.js';
import type { Feature } from '../registry.js';
import { OpenTerminalsNote } from './OpenTerminalsNote.js';
import { TerminalsView } from './TerminalsView.js';
import { TERMINALS } from './terminal-manager.js';
import { TERMINALS_LINKS } from './terminals-links.js';
import { TERMINALS_PERMISSIONS } from './terminals-permissions.js';

/** Terminals on peers, in tabs; a peer card or a link (`#terminals?open=<peer>`) opens one. */
export const terminalsFeature: Feature = {
  id: 'terminals',
  label: 'Terminals',
  place: 20,
  View: TerminalsView,
  SidebarNote: OpenTerminalsNote,
  permissions: TERMINALS_PERMISSIONS,
  links: TERMINALS_LINKS,
  needs: ['terminal.open', 'terminal.close'],
  // The tab a link asks for is opened once, as it is followed; the view then shows it.
  follow: ({ openTerminal }: IntentOf<'terminals'>, { get }) => {
    if (openTerminal) get(TERMINALS).open({ peer: openTerminal.peer, peerName: openTerminal.name });
    return {};
  },
  peerActions: [
    {
      order: 10,
      text: 'Open terminal',
      name: (peer) => `Open terminal on ${peer.name}`,
      permission: 'terminal',
      // A peer that is not online fails the open at once: the New terminal picker offers only online ones too.
      needsOnline: true,
      run: ({ peer, services }) => {
        services.get(TERMINALS).open({ peer: peer.fingerprint, peerName: peer.name });
        services.nav.go('terminals');
      },
    },
  ],
};
