import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostAllowed, isLoopbackHost, parseHostHeader } from '../../../src-main/core/host-header.js';
import { originAllowed, SECURITY_HEADERS, urlHost } from '../../../src-main/api/web-ui/http-guard.js';
import { remoteWarning } from '../../../src-main/api/web-ui/server.js';

const loopback = { listenHost: '127.0.0.1', port: 7476, localAddress: '127.0.0.1' };

test('Host: localhost and the loopback literals pass, with any port (a forward from another local port)', () => {
  for (const host of [
    '127.0.0.1:7476',
    'localhost:7476',
    'LOCALHOST:7476',
    '[::1]:7476',
    '127.0.0.2:7476',
    '127.0.0.1:9000',
    'localhost',
  ]) {
    assert.equal(hostAllowed(host, loopback), true, host);
  }
});

test('Host: foreign names (DNS rebinding), other ports, garbage and no Host are refused', () => {
  for (const host of [
    'evil.example:7476',
    'evil.example',
    '127.0.0.1.evil.example:7476',
    'localhost.evil.example:7476',
    'localhost:99999',
    '127.0.0.1:7476@evil.example',
    '',
    '[::1',
  ]) {
    assert.equal(hostAllowed(host, loopback), false, host);
  }
  assert.equal(hostAllowed(undefined, loopback), false);
});

test('Host: a listen address that is not loopback must come with the bound port (port-less = 80)', () => {
  assert.equal(hostAllowed('192.0.2.5', { listenHost: '192.0.2.5', port: 80 }), true);
  assert.equal(hostAllowed('192.0.2.5', { listenHost: '192.0.2.5', port: 7476 }), false);
  assert.equal(hostAllowed('192.0.2.5:7477', { listenHost: '192.0.2.5', port: 7476 }), false);
});

test('Host: a LAN listener accepts its own address; a wildcard one the IP the connection arrived on', () => {
  assert.equal(hostAllowed('192.0.2.5:7476', { listenHost: '192.0.2.5', port: 7476 }), true);
  assert.equal(hostAllowed('192.0.2.6:7476', { listenHost: '192.0.2.5', port: 7476 }), false);
  const wild = { listenHost: '0.0.0.0', port: 7476, localAddress: '::ffff:192.0.2.5' };
  assert.equal(hostAllowed('192.0.2.5:7476', wild), true);
  assert.equal(hostAllowed('0.0.0.0:7476', wild), false);
  assert.equal(hostAllowed('nas.lan:7476', wild), false, 'a name can be rebound; only IP literals');
  assert.equal(hostAllowed('192.0.2.7:7476', wild), false);
});

test('Host: the operator’s names pass with any port, a `*.` name covers one label; others stay refused', () => {
  const ctx = { listenHost: '0.0.0.0', port: 8443, names: new Set(['relay.example', '*.relays.example']) };
  assert.equal(hostAllowed('relay.example', ctx), true, 'behind a proxy on 443');
  assert.equal(hostAllowed('RELAY.example:8443', ctx), true);
  assert.equal(hostAllowed('eu.relays.example:443', ctx), true);
  assert.equal(hostAllowed('a.eu.relays.example', ctx), false, 'two labels under the wildcard');
  assert.equal(hostAllowed('relays.example', ctx), false, 'the wildcard is not its parent');
  assert.equal(hostAllowed('relay.example.evil:8443', ctx), false);
  assert.equal(hostAllowed('evil.example:8443', ctx), false);
});

test('Origin: exactly http:// plus the Host; anything else, or none, is refused', () => {
  assert.equal(originAllowed('http://127.0.0.1:7476', '127.0.0.1:7476'), true);
  assert.equal(originAllowed('http://localhost:7476', 'localhost:7476'), true);
  assert.equal(originAllowed('http://evil.example', '127.0.0.1:7476'), false);
  assert.equal(originAllowed('http://localhost:7476', '127.0.0.1:7476'), false);
  assert.equal(originAllowed('https://127.0.0.1:7476', '127.0.0.1:7476'), false);
  assert.equal(originAllowed('null', '127.0.0.1:7476'), false);
  assert.equal(originAllowed(undefined, '127.0.0.1:7476'), false);
  assert.equal(originAllowed('http://127.0.0.1:7476', undefined), false);
});

test('loopback, Host parsing and the URL host', () => {
  assert.equal(isLoopbackHost('127.0.0.1'), true);
  assert.equal(isLoopbackHost('[::1]'), true);
  assert.equal(isLoopbackHost('::ffff:127.0.0.1'), true);
  assert.equal(isLoopbackHost('0.0.0.0'), false);
  assert.equal(isLoopbackHost('192.168.1.2'), false);
  assert.equal(isLoopbackHost('127.evil.example'), false);
  assert.deepEqual(parseHostHeader('[::1]:80'), { host: '::1', port: 80 });
  assert.equal(parseHostHeader('a b:1'), undefined);
  assert.equal(urlHost('0.0.0.0'), '127.0.0.1');
  assert.equal(urlHost('::'), '127.0.0.1');
  assert.equal(urlHost('::1'), '[::1]');
  assert.equal(urlHost('127.0.0.1'), '127.0.0.1');
});

test('every answer carries the CSP of docs/web-ui.md and the other headers', () => {
  assert.match(SECURITY_HEADERS['Content-Security-Policy']!, /frame-ancestors 'none'/);
  assert.match(SECURITY_HEADERS['Content-Security-Policy']!, /^default-src 'self'; script-src 'self';/);
  assert.equal(SECURITY_HEADERS['Referrer-Policy'], 'no-referrer');
  assert.equal(SECURITY_HEADERS['X-Frame-Options'], 'DENY');
  assert.equal(SECURITY_HEADERS['X-Content-Type-Options'], 'nosniff');
  assert.equal(SECURITY_HEADERS['Cache-Control'], 'no-store');
});

test('a web UI other machines can reach gets a warning line; loopback none', () => {
  assert.equal(remoteWarning('127.0.0.1', 7476), undefined);
  assert.equal(remoteWarning('::1', 7476), undefined);
  assert.equal(
    remoteWarning('0.0.0.0', 7476),
    'warning: the web UI listens on 0.0.0.0:7476, reachable from other machines; anyone with its link drives this node',
  );
  assert.match(remoteWarning('::', 7476)!, /listens on \[::\]:7476, reachable from other machines/);
});
