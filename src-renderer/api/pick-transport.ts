/**
 * Picks the platform once at start (Element's WebPlatform / ElectronPlatform): the preload's bridge in
 * Electron, the agent's WebSocket in a browser. In a browser the token arrives in the URL fragment
 * (`#token=…`, never sent to a server); it is moved to sessionStorage — so a reload of this tab still
 * works — and removed from the address bar, so it is not left on screen, in history or in a bookmark.
 */
import { parseFragment, withoutToken } from '../lib/fragment.js';
import { IpcTransport, isBridge } from './ipc-transport.js';
import { ApiError, Listeners, type ConnectionState, type Transport } from './transport.js';
import type { Hint } from './hint.js';
import { UNAUTHORIZED_HINT, UNAUTHORIZED_TEXT, WebSocketTransport } from './ws-transport.js';

const TOKEN_KEY = 'clawbridge.token';

/** The token from `#token=…` (then removed from the address bar), or the one this tab saved before. */
export function takeToken(): string | null {
  // Only its token is read here: no view is needed to know it.
  const { token } = parseFragment(location.hash, []);
  if (token) {
    try {
      sessionStorage.setItem(TOKEN_KEY, token);
    } catch {
      // Without sessionStorage the page works until it is reloaded.
    }
    // A link that rode along with the token stays, for main.tsx to follow.
    history.replaceState(
      history.state,
      '',
      location.pathname + location.search + withoutToken(location.hash),
    );
    return token;
  }
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

/**
 * A `#token=…` link opened in this tab while the page is open (a new `clawbridge ui` link, e.g. after
 * `--new-token` closed this page): a fragment change does not load the page again, and the transport
 * was picked with the old token, so the new one is saved and the page reloads with it. Returns whether
 * it reloads (the fragment then holds only the link that rode along, which the reloaded page follows).
 */
export function reloadWithNewToken(): boolean {
  if (currentPlatform() !== 'web' || !parseFragment(location.hash, []).token) return false;
  takeToken();
  location.reload();
  return true;
}

/**
 * Where the window runs: in the desktop app (its preload put `window.clawbridge` there), in a
 * browser tab on the agent's web UI, or in the page a relay serves, where the browser is a node itself
 * (`browser-node`, src-web/window/, ADR 0094). What only the app can do (desktop notifications) is
 * offered there only.
 */
export type Platform = 'desktop' | 'web' | 'browser-node';

export function currentPlatform(): 'desktop' | 'web' {
  return (window as { clawbridge?: unknown }).clawbridge !== undefined ? 'desktop' : 'web';
}

export function pickTransport(): Transport {
  const bridge: unknown = (window as { clawbridge?: unknown }).clawbridge;
  if (isBridge(bridge)) return new IpcTransport(bridge);
  // In the app, but its preload offers no API bridge: the window and the app come from different builds.
  if (bridge !== undefined) return new RefusedTransport(OLD_PRELOAD);
  const token = takeToken();
  if (!token) return new RefusedTransport(UNAUTHORIZED_TEXT, UNAUTHORIZED_HINT);
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return new WebSocketTransport({ baseUrl: `${scheme}//${location.host}`, token });
}

const OLD_PRELOAD =
  "this app's preload has no API bridge (window.clawbridge.request); reinstall or rebuild the app";

/** Nothing to connect to: the page says why, and how to fix it. */
class RefusedTransport implements Transport {
  readonly state: ConnectionState;
  constructor(
    private readonly reason: string,
    private readonly hint?: Hint,
  ) {
    this.state = hint ? { kind: 'unauthorized', reason, hint } : { kind: 'unauthorized', reason };
  }
  private readonly none = new Listeners<[]>();
  request(): Promise<never> {
    return Promise.reject(new ApiError('UNAUTHORIZED', this.reason, undefined, this.hint));
  }
  subscribe() {
    return this.none.add(() => undefined);
  }
  openStream(): Promise<never> {
    return Promise.reject(new ApiError('UNAUTHORIZED', this.reason, undefined, this.hint));
  }
  onState() {
    return this.none.add(() => undefined);
  }
  close(): void {}
}
