import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
// Base styles first: the views' own sheets (imported by each view) build on them.
import '@xterm/xterm/css/xterm.css';
import './style.css';
import './components/components.css';
import { App } from './App.js';
import { ServicesContext } from './api/hooks.js';
import { pickTransport } from './api/pick-transport.js';
import { parseFragment } from './lib/fragment.js';
import { createServices } from './services.js';

function session(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

// Read before pickTransport clears the fragment (it holds the token in a browser).
const { join } = parseFragment(location.hash);
const services = createServices(pickTransport(), session());
/** A join deep link (#join=…), at start or arriving while the window is open. */
function followJoinLink(code: string | null): void {
  if (!code) return;
  history.replaceState(history.state, '', location.pathname + location.search);
  services.nav.go('pair', { pairMode: 'join', joinCode: code });
}
followJoinLink(join);
window.addEventListener('hashchange', () => followJoinLink(parseFragment(location.hash).join));
const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <ServicesContext.Provider value={services}>
      <App />
    </ServicesContext.Provider>
  </StrictMode>,
);
