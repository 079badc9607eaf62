import type { Feature } from '../registry.js';
import { OpenTerminalsNote } from './OpenTerminalsNote.js';
import { TerminalsView } from './TerminalsView.js';
import { TERMINALS_PERMISSIONS } from './terminals-permissions.js';

/** Terminals on peers, in tabs; a peer card opens one. */
export const terminalsFeature: Feature = {
  id: 'terminals',
  label: 'Terminals',
  View: TerminalsView,
  SidebarNote: OpenTerminalsNote,
  permissions: TERMINALS_PERMISSIONS,
  peerActions: [
    {
      order: 10,
      text: 'Open terminal',
      name: (peer) => `Open terminal on ${peer.name}`,
      permission: 'terminal',
      run: ({ peer, services }) => {
        services.terminals.open({ peer: peer.fingerprint, peerName: peer.name });
        services.nav.go('terminals');
      },
    },
  ],
};
