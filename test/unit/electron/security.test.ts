import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import {
  CONTENT_SECURITY_POLICY,
  hardenSession,
  hardenWebContents,
} from '../../../src-main/electron/security.js';

/** A WebContents stand-in: emits events with a preventable event object, stores the open handler. */
class FakeContents extends EventEmitter {
  openHandler: ((details: { url: string }) => { action: string }) | null = null;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.openHandler = handler;
  }
  /** Emits `name` like Electron does and reports whether a listener prevented the default. */
  attempt(name: string, url: string): boolean {
    let prevented = false;
    this.emit(name, { url, preventDefault: () => (prevented = true) }, url);
    return prevented;
  }
}

test('navigation, redirects and webviews are refused, and window.open is denied', () => {
  const contents = new FakeContents();
  hardenWebContents(contents as never);
  assert.equal(contents.attempt('will-navigate', 'https://evil.example/'), true);
  assert.equal(contents.attempt('will-redirect', 'https://evil.example/'), true);
  assert.equal(contents.attempt('will-attach-webview', 'https://evil.example/'), true);
  assert.deepEqual(contents.openHandler?.({ url: 'https://evil.example/' }), { action: 'deny' });
});

test('responses get the CSP header and permission requests are refused', () => {
  let onHeaders: ((details: unknown, cb: (r: unknown) => void) => void) | undefined;
  let onPermission: ((wc: unknown, perm: string, cb: (ok: boolean) => void) => void) | undefined;
  hardenSession({
    webRequest: { onHeadersReceived: (fn: typeof onHeaders) => void (onHeaders = fn) },
    setPermissionRequestHandler: (fn: typeof onPermission) => void (onPermission = fn),
  } as never);

  let headers: unknown;
  onHeaders!({ responseHeaders: { 'Content-Type': ['text/html'] } }, (r) => (headers = r));
  assert.deepEqual(headers, {
    responseHeaders: { 'Content-Type': ['text/html'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
  });
  let granted: boolean | undefined;
  onPermission!({}, 'media', (ok) => (granted = ok));
  assert.equal(granted, false);
});

test('the CSP forbids inline and remote script, and index.html carries the same policy', () => {
  assert.match(CONTENT_SECURITY_POLICY, /default-src 'none'/);
  assert.match(CONTENT_SECURITY_POLICY, /script-src 'self'(;|$)/);
  const html = readFileSync(new URL('../../../src-renderer/index.html', import.meta.url), 'utf8');
  const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
  // frame-ancestors only works as a header; browsers ignore it in a meta tag.
  const headerOnly = CONTENT_SECURITY_POLICY.split('; ').filter((d) => !d.startsWith('frame-ancestors'));
  assert.deepEqual(meta?.split('; ').sort(), headerOnly.sort());
});
