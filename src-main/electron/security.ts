/**
 * Web-content lockdown (architecture.md §The desktop app and the window): the app shows one local page, so every navigation, new window,
 * webview and permission request is refused, and responses carry a strict Content-Security-Policy.
 */
import type { Session, WebContents } from 'electron';

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

/** The WebContents events this module hooks; Electron's WebContents has them all. */
export type HardenableContents = Pick<WebContents, 'on' | 'setWindowOpenHandler'>;

/** Denies navigation away from the loaded page, window.open/target=_blank, and <webview>. */
export function hardenWebContents(contents: HardenableContents): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/** Adds the CSP header to every response of `session` and refuses every permission request. */
export function hardenSession(session: Pick<Session, 'webRequest' | 'setPermissionRequestHandler'>): void {
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
  });
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
}
