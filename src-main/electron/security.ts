/**
 * Web-content lockdown (architecture.md §The desktop app and the window; docs/security.md §Electron
 * hardening): the app shows one local page, so every navigation, new window, webview and permission
 * request is refused, and responses carry a strict Content-Security-Policy. A web link the user clicks
 * opens in their own browser instead — only http and https, never file:, javascript: or a custom
 * protocol that could start a local program.
 */
import type { Session, Shell, WebContents } from 'electron';

/**
 * The policy for the app page; src-renderer/index.html carries the same one in a meta tag, because
 * pages loaded from file:// get no response headers to inject into. Inline scripts and styles are
 * refused; React sets styles through the CSSOM, which CSP allows.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  // xterm.js themes itself with <style> elements; scripts stay strictly 'self'.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/**
 * The one permission the page may use: writing (sanitized) text to the clipboard, for "copy
 * fingerprint" and the pairing code. Everything else — camera, microphone, notifications, geolocation,
 * reading the clipboard, HID/USB/serial — is refused; the app never needs it.
 */
export const ALLOWED_PERMISSION = 'clipboard-sanitized-write';

/** URL schemes that may leave the app for the user's browser. */
const EXTERNAL_SCHEMES: ReadonlySet<string> = new Set(['http:', 'https:']);

/**
 * The URL as it should be handed to the user's browser, or null when it must not leave the app: not
 * a parseable absolute URL, or a scheme other than http/https (file: would open local files,
 * custom protocols start local programs).
 */
export function externalLinkTarget(url: unknown): string | null {
  if (typeof url !== 'string') return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (!EXTERNAL_SCHEMES.has(parsed.protocol)) return null;
  // A user:password@ part is a classic way to disguise where a link goes; such a link is refused.
  if (parsed.username !== '' || parsed.password !== '') return null;
  return parsed.href;
}

/** The WebContents events this module hooks; Electron's WebContents has them all. */
export type HardenableContents = Pick<WebContents, 'on' | 'setWindowOpenHandler'>;

/** Opens a link in the user's browser; Electron's `shell` is one. */
export type ExternalOpener = Pick<Shell, 'openExternal'>;

/**
 * Denies navigation away from the loaded page, window.open / target=_blank and <webview>. With a
 * `browser` (main passes Electron's `shell`), an http/https link the page tried to open or navigate
 * to is opened in the user's browser; without one such links are only refused.
 */
export function hardenWebContents(
  contents: HardenableContents,
  browser?: ExternalOpener,
  log: (line: string) => void = (line) => console.error(line),
): void {
  const openOutside = (url: string): void => {
    const target = externalLinkTarget(url);
    if (!target || !browser) return;
    browser.openExternal(target).catch((err: unknown) => log(`could not open ${target}: ${String(err)}`));
  };
  contents.on('will-navigate', (event, url) => {
    event.preventDefault();
    openOutside(url);
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    openOutside(url);
    return { action: 'deny' };
  });
}

/** The session calls hardenSession makes; Electron's Session has them all. */
export type HardenableSession = Pick<
  Session,
  'webRequest' | 'setPermissionRequestHandler' | 'setPermissionCheckHandler'
>;

/**
 * Adds the CSP header to every response of `session` and refuses every permission request and
 * permission check except {@link ALLOWED_PERMISSION}. Both handlers are needed: Chromium asks the
 * check handler for synchronous queries (navigator.permissions.query, some clipboard paths) and the
 * request handler when the page actually asks.
 */
export function hardenSession(session: HardenableSession): void {
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
  });
  session.setPermissionRequestHandler((_contents, permission, callback) =>
    callback(permission === ALLOWED_PERMISSION),
  );
  session.setPermissionCheckHandler((_contents, permission) => permission === ALLOWED_PERMISSION);
}
