/**
 * The name a page gives itself (src-web/window/browser-name.ts): its browser and platform from real
 * user agents, so two people's pages are not both `browser`; what is not known is left out. A page
 * made before keeps its identity and takes the default once; a name given since stays.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrowserNode } from '../../../src-web/node/browser-node.js';
import { MemoryStore } from '../../../src-web/node/store.js';
import { defaultBrowserName } from '../../../src-web/window/browser-name.js';

const AGENTS: [string, string][] = [
  [
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
    'Chrome on Linux',
  ],
  [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91',
    'Edge on Windows',
  ],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 14.2; rv:121.0) Gecko/20100101 Firefox/121.0', 'Firefox on macOS'],
  [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1',
    'Safari on iPhone',
  ],
  [
    'Mozilla/5.0 (iPad; CPU OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1',
    'Chrome on iPad',
  ],
  ['Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0', 'Firefox on Android'],
  [
    'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36',
    'Samsung Internet on Android',
  ],
  [
    'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
    'Chrome on ChromeOS',
  ],
  [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 OPR/106.0.0.0',
    'Opera on Windows',
  ],
  [
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36',
    'Chrome on Linux',
  ],
];

test('the browser and platform of real user agents', () => {
  for (const [agent, name] of AGENTS) assert.equal(defaultBrowserName(agent), name, agent);
});

test('what is not known is left out, down to the old name', () => {
  assert.equal(defaultBrowserName('Mozilla/5.0 (X11; Linux x86_64) SomeBrowser/1.0'), 'Browser on Linux');
  assert.equal(defaultBrowserName('Mozilla/5.0 (Unknown) Gecko/20100101 Firefox/121.0'), 'Firefox');
  assert.equal(defaultBrowserName(''), 'browser');
});

test('a page made before pages named themselves takes the default once; a name of its own stays', async () => {
  const store = new MemoryStore();
  const start = (name?: string) =>
    BrowserNode.start({
      relayUrl: 'ws://127.0.0.1:1',
      socket: () => assert.fail('nothing dials here'),
      store,
      ...(name ? { name } : {}),
    });
  const old = await start();
  assert.equal(old.identity.name, 'browser', 'what every page was called');
  const named = await start('Chrome on Linux');
  assert.equal(named.identity.name, 'Chrome on Linux');
  assert.equal(named.fingerprint, old.fingerprint, 'the same identity');
  await named.rename('Ana’s laptop');
  assert.equal((await start('Firefox on Linux')).identity.name, 'Ana’s laptop', 'renamed, it stays');
  await assert.rejects(named.rename(''), /a browser name is 1 to 64 characters/);
});
