import type { Feature } from '../registry.js';
import { followForwardNotices } from './forward-notices.js';
import { ForwardsView } from './ForwardsView.js';
import { FORWARDS_PERMISSIONS } from './forwards-permissions.js';

/** Forwards and proxies; a peer card starts one through it, and why connections fail is toasted. */
export const forwardsFeature: Feature = {
  id: 'forwards',
  label: 'Forwards',
  place: 50,
  View: ForwardsView,
  permissions: FORWARDS_PERMISSIONS,
  peerActions: [
    {
      order: 20,
      text: 'Forward a port…',
      name: (peer) => `Forward a port… via ${peer.name}`,
      permission: 'forward',
      run: ({ peer, services }) => services.nav.go('forwards', { forwardVia: peer.fingerprint }),
    },
  ],
  watch: ({ store, toasts }) => followForwardNotices(store, toasts),
};
