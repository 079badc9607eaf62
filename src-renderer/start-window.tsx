/**
 * Starts the window on a transport: the services, the app links in the address, and React. The desktop
 * app and the agent's web UI start it from main.tsx (their transport picked there); the page a relay
 * serves starts it from src-web/window/main.tsx with the browser node's own transport (ADR 0094). The
 * features shown are those the transport serves (features/served-features.ts).
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { ServicesContext } from './api/hooks.js';
import { reloadWithNewToken, type Platform } from './api/pick-transport.js';
import type { Transport } from './api/transport.js';
import { FeaturesContext, type Feature } from './features/registry.js';
import { servedFeatures } from './features/served-features.js';
import { followLink } from './lib/follow-link.js';
import { navigateLink, parseFragment, viewFragment, type AppLink } from './lib/fragment.js';
import { createServices, type Services } from './services.js';

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

export function startWindow(
  transport: Transport,
  platform: Platform,
  registered: readonly Feature[],
  /** Read before the transport was picked: picking clears the token from the fragment. */
  link: AppLink | null,
): Services {
  const features = servedFeatures(registered, transport.serves?.bind(transport));
  const services = createServices(
    transport,
    session(),
    features.map((f) => f.id),
    platform,
    local(),
  );
  /** An app link in the fragment (lib/fragment.ts), at start or arriving while the page is open. */
  const followFragment = (target: AppLink | null): void => {
    if (!target) return;
    // Followed once: a reload must not open another terminal tab or start another join.
    history.replaceState(history.state, '', location.pathname + location.search);
    followLink(services, features, target);
  };
  followFragment(link && features.some((f) => f.id === link.view) ? link : null);
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
    if (platform === 'web' && reloadWithNewToken()) return;
    followFragment(parseFragment(location.hash, features).link);
  });
  // The desktop app moves an open window with an `app.navigate` event (a tray item, a notification).
  services.store.onAgentEvent((event, data) => {
    if (event === 'app.navigate') followLink(services, features, navigateLink(data, features));
  });
  const root = document.getElementById('root');
  if (!root) throw new Error('index.html has no #root element');
  createRoot(root).render(
    <StrictMode>
      <ServicesContext.Provider value={services}>
        <FeaturesContext.Provider value={features}>
          <App />
        </FeaturesContext.Provider>
      </ServicesContext.Provider>
    </StrictMode>,
  );
  return services;
}
