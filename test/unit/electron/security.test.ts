import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import {
  ALLOWED_PERMISSION,
  CONTENT_SECURITY_POLICY,
  externalLinkTarget,
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

/** The user's browser: remembers what it was asked to open. */
class FakeBrowser {
  readonly opened: string[] = [];
  fail = false;
  openExternal(url: string): Promise<void> {
    if (this.fail) return Promise.reject(new Error('no browser'));
    this.opened.push(url);
    return Promise.resolve();
  }
}

function hardened(): { contents: FakeContents; browser: FakeBrowser; logged: string[] } {
  const contents = new FakeContents();
  const browser = new FakeBrowser();
  const logged: string[] = [];
  hardenWebContents(contents as never, browser, (line) => logged.push(line));
  return { contents, browser, logged };
}

test('navigation, redirects and webviews are refused, and window.open is denied', () => {
  const { contents } = hardened();
  assert.equal(contents.attempt('will-navigate', 'file:///etc/passwd'), true);
  assert.equal(contents.attempt('will-redirect', 'https://evil.example/'), true);
  assert.equal(contents.attempt('will-attach-webview', 'https://evil.example/'), true);
  assert.deepEqual(contents.openHandler?.({ url: 'https://evil.example/' }), { action: 'deny' });
});

test('an http or https link opens in the user browser, from window.open and from navigation', () => {
  const { contents, browser } = hardened();
  assert.deepEqual(contents.openHandler?.({ url: 'https://clawbridge.example/docs' }), { action: 'deny' });
  assert.equal(contents.attempt('will-navigate', 'http://example.com/a?b=1'), true);
  assert.deepEqual(browser.opened, ['https://clawbridge.example/docs', 'http://example.com/a?b=1']);
});

test('links with any other scheme are refused and never reach the browser', () => {
  const { contents, browser } = hardened();
  const refused = [
    'file:///Applications/Calculator.app',
    'javascript:alert(1)',
    'smb://attacker.example/share',
    'ms-msdt:/id PCWDiagnostic',
    'data:text/html,<script>1</script>',
    'not a url',
    'https://user:pass@bank.example@evil.example/',
  ];
  for (const url of refused) {
    assert.deepEqual(contents.openHandler?.({ url }), { action: 'deny' }, url);
    assert.equal(contents.attempt('will-navigate', url), true, url);
  }
  assert.deepEqual(browser.opened, []);
});

test('a browser that fails to open is logged, not thrown', async () => {
  const { contents, browser, logged } = hardened();
  browser.fail = true;
  assert.deepEqual(contents.openHandler?.({ url: 'https://example.com/' }), { action: 'deny' });
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(logged, ['could not open https://example.com/: Error: no browser']);
});

test('without a browser, web links are refused like everything else', () => {
  const contents = new FakeContents();
  hardenWebContents(contents as never);
  assert.deepEqual(contents.openHandler?.({ url: 'https://example.com/' }), { action: 'deny' });
  assert.equal(contents.attempt('will-navigate', 'https://example.com/'), true);
});

test('externalLinkTarget normalises web URLs and rejects the rest', () => {
  assert.equal(externalLinkTarget('HTTPS://Example.COM'), 'https://example.com/');
  assert.equal(externalLinkTarget('https://example.com/a b'), 'https://example.com/a%20b');
  assert.equal(externalLinkTarget('ftp://example.com/'), null);
  assert.equal(externalLinkTarget(''), null);
  assert.equal(externalLinkTarget(42), null);
  assert.equal(externalLinkTarget(undefined), null);
});

type RequestHandler = (wc: unknown, perm: string, cb: (ok: boolean) => void) => void;
type CheckHandler = (wc: unknown, perm: string, origin: string) => boolean;

function hardenedSession() {
  let onHeaders: ((details: unknown, cb: (r: unknown) => void) => void) | undefined;
  let onRequest: RequestHandler | undefined;
  let onCheck: CheckHandler | undefined;
  hardenSession({
    webRequest: { onHeadersReceived: (fn: typeof onHeaders) => void (onHeaders = fn) },
    setPermissionRequestHandler: (fn: RequestHandler) => void (onRequest = fn),
    setPermissionCheckHandler: (fn: CheckHandler) => void (onCheck = fn),
  } as never);
  const request = (permission: string): boolean | undefined => {
    let granted: boolean | undefined;
    onRequest!({}, permission, (ok) => (granted = ok));
    return granted;
  };
  const check = (permission: string): boolean => onCheck!({}, permission, 'file://');
  return { onHeaders: onHeaders!, request, check };
}

test('responses get the CSP header', () => {
  const { onHeaders } = hardenedSession();
  let headers: unknown;
  onHeaders({ responseHeaders: { 'Content-Type': ['text/html'] } }, (r) => (headers = r));
  assert.deepEqual(headers, {
    responseHeaders: { 'Content-Type': ['text/html'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
  });
});

test('permission requests and checks are refused except writing to the clipboard', () => {
  const { request, check } = hardenedSession();
  const refused = [
    'media',
    'notifications',
    'geolocation',
    'clipboard-read',
    'openExternal',
    'hid',
    'serial',
    'usb',
    'fullscreen',
    'pointerLock',
    'unknown-future-permission',
  ];
  for (const permission of refused) {
    assert.equal(request(permission), false, permission);
    assert.equal(check(permission), false, permission);
  }
  assert.equal(ALLOWED_PERMISSION, 'clipboard-sanitized-write');
  assert.equal(request('clipboard-sanitized-write'), true);
  assert.equal(check('clipboard-sanitized-write'), true);
});

test('the CSP forbids inline and remote script, and index.html carries the same policy', () => {
  assert.match(CONTENT_SECURITY_POLICY, /default-src 'none'/);
  assert.match(CONTENT_SECURITY_POLICY, /script-src 'self'(;|$)/);
  assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-eval|script-src[^;]*unsafe-inline|\*/);
  const html = readFileSync(new URL('../../../src-renderer/index.html', import.meta.url), 'utf8');
  const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
  // frame-ancestors only works as a header; browsers ignore it in a meta tag.
  const headerOnly = CONTENT_SECURITY_POLICY.split('; ').filter((d) => !d.startsWith('frame-ancestors'));
  assert.deepEqual(meta?.split('; ').sort(), headerOnly.sort());
});

test('no renderer source creates a <webview>', () => {
  const root = new URL('../../../src-renderer/', import.meta.url);
  const sources = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) =>
    /\.(tsx?|html)$/.test(f),
  );
  assert.ok(sources.length > 1, 'the renderer sources were found');
  for (const file of sources) {
    assert.doesNotMatch(
      readFileSync(new URL(file, root), 'utf8'),
      /<webview|createElement\(['"]webview/i,
      file,
    );
  }
});
