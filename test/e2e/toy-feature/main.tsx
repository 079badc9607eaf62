/**
 * The window with one more feature in its list (toy-feature.tsx), on a fake agent: what
 * feature-registry.test.ts builds and opens. The list is the real one plus one line, as a new domain's
 * feature adds it; links are followed as main.tsx follows them, from the fragment and from an
 * `app.navigate` event (which the test sends through `window.toyAgent`).
 */
import { createRoot } from 'react-dom/client';
import '@xterm/xterm/css/xterm.css';
import '../../../src-renderer/style.css';
import '../../../src-renderer/components/components.css';
import type { PeerInfo, SettingsResult, StatusResult } from '../../../src-main/api/contract.js';
import { App } from '../../../src-renderer/App.js';
import { FakeTransport } from '../../../src-renderer/api/fake-transport.js';
import { ServicesContext } from '../../../src-renderer/api/hooks.js';
import { FEATURES } from '../../../src-renderer/features/index.js';
import { FeaturesContext } from '../../../src-renderer/features/registry.js';
import { followLink } from '../../../src-renderer/lib/follow-link.js';
import { navigateLink, parseFragment } from '../../../src-renderer/lib/fragment.js';
import { createServices } from '../../../src-renderer/services.js';
import { toyFeature } from './toy-feature.js';

const features = [...FEATURES, toyFeature];
const self = 'a'.repeat(64);
const peer = {
  name: 'b',
  fingerprint: 'b'.repeat(64),
  online: true,
  state: 'online',
  stateDetail: null,
  relayReason: null,
  path: 'direct',
  address: '127.0.0.1:7475',
  listenAddress: '127.0.0.1:7475',
  linkFrom: { dialedBy: 'us', remote: '127.0.0.1:7475' },
  relay: null,
  relaySpliced: null,
  rttMs: 1,
  since: new Date().toISOString(),
  allow: ['terminal', 'toy'],
  // b refuses this device its toys: the action stays, unavailable, and the card says why.
  theyAllow: ['terminal', 'forward'],
  mine: false,
  theyMarkMine: null,
  introducedBy: null,
  forwardTo: null,
  listenOn: null,
  route: null,
} as unknown as PeerInfo;
const status = { name: 'a', fingerprint: self, listen: null, relays: [], peers: [peer] } as StatusResult;
const settings = {
  name: 'a',
  fingerprint: self,
  relays: [],
  actAsRelay: false,
  relayListen: '0.0.0.0:7474',
  listen: null,
  listeningOn: null,
  terminalResumeMs: 60_000,
  detachedTerminalIdleMs: 0,
  notifications: false,
  messageNotifications: false,
  allowRemoteReverseListen: false,
  mineAllow: ['terminal'],
} as SettingsResult;

const transport = new FakeTransport();
for (const [method, answer] of Object.entries({
  status,
  'settings.get': settings,
  'pending.list': [],
  'forward.list': [],
  'proxy.list': [],
  'messages.list': [],
  'messages.outbox': [],
  'files.transfers': [],
  'files.list': [],
  'share.list': [],
}))
  transport.on(method, () => answer);

const services = createServices(
  transport,
  null,
  features.map((f) => f.id),
);
window.addEventListener('hashchange', () =>
  followLink(services, features, parseFragment(location.hash, features).link),
);
services.store.onAgentEvent((event, data) => {
  if (event === 'app.navigate') followLink(services, features, navigateLink(data, features));
});
(window as unknown as { toyAgent: FakeTransport }).toyAgent = transport;
createRoot(document.getElementById('root')!).render(
  <ServicesContext.Provider value={services}>
    <FeaturesContext.Provider value={features}>
      <App />
    </FeaturesContext.Provider>
  </ServicesContext.Provider>,
);
