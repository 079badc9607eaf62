import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
// Base styles first: the views' own sheets (imported by each view) build on them.
import '@xterm/xterm/css/xterm.css';
import './style.css';
import './components/components.css';
import { App } from './App.js';
import { ServicesContext } from './api/hooks.js';
import { FEATURES } from './features/index.js';
import { FeaturesContext } from './features/registry.js';
import { currentPlatform, pickTransport, reloadWithNewToken } from './api/pick-transport.js';
import { followLink } from './lib/follow-link.js';
import { navigateLink, parseFragment, viewFragment, type AppLink } from './lib/fragment.js';
import { createServices } from './services.js';

function session(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

function local(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

// Read before pickTransport clears the fragment (it holds the token in a browser).
const { link } = parseFragment(location.hash, FEATURES);
const services = createServices(
  pickTransport(),
  session(),
  FEATURES.map((f) => f.id),
  currentPlatform(),
  local(),
);
/** An app link in the fragment (lib/fragment.ts), at start or arriving while the page is open. */
function followFragment(target: AppLink | null): void {
  if (!target) return;
  // Followed once: a reload must not open another terminal tab or start another join.
  history.replaceState(history.state, '', location.pathname + location.search);
  followLink(services, FEATURES, target);
}
followFragment(link);
// The address names the view the window shows (`#pair`): a reload lands there, even where this
// window's storage did not keep it. Only the view: what a link was opened for is followed once.
const showView = () =>
  history.replaceState(
    history.state,
    '',
    location.pathname + location.search + viewFragment(services.nav.get().view),
  );
services.nav.subscribe(showView);
showView();
window.addEventListener('hashchange', () => {
  if (reloadWithNewToken()) return;
  followFragment(parseFragment(location.hash, FEATURES).link);
});
// The desktop app moves an open window with an `app.navigate` event (a tray item, a notification).
services.store.onAgentEvent((event, data) => {
  if (event === 'app.navigate') followLink(services, FEATURES, navigateLink(data, FEATURES));
});
const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <ServicesContext.Provider value={services}>
      <FeaturesContext.Provider value={FEATURES}>
        <App />
      </FeaturesContext.Provider>
    </ServicesContext.Provider>
  </StrictMode>,
);
