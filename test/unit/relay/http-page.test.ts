/**
 * The relay's answers for its page (relay/http-endpoints.ts over relay/page.ts): a file is sent as
 * it was hashed at start; one whose bytes changed on disk since gets a 500 that says to restart the
 * relay, and the rest of the page is still sent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { relayHttpHandler, type RelayHttpOptions } from '../../../src-main/relay/http-endpoints.js';
import { loadRelayPage } from '../../../src-main/relay/page.js';

test('a page file changed on disk since the start is answered 500, saying to restart; the others are sent', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cb-page-http-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><link rel="stylesheet" href="/assets/a.css"><script type="module" src="/assets/a.js"></script>',
  );
  writeFileSync(join(dir, 'assets', 'a.js'), 'console.log(1)');
  writeFileSync(join(dir, 'assets', 'a.css'), 'body{}');
  const page = loadRelayPage(dir)!;
  writeFileSync(join(dir, 'assets', 'a.js'), 'console.log("not the hashed bytes")');
  // Only the page's paths are asked for here: /metrics, which needs these, is not.
  const options = { page, ownHost: () => true } as unknown as RelayHttpOptions;
  const server: Server = createServer(relayHttpHandler(options));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const changed = await fetch(`${base}/assets/a.js`);
  assert.equal(changed.status, 500);
  assert.match(await changed.text(), /a\.js changed since the relay started.*restart the relay/);
  const css = await fetch(`${base}/assets/a.css`);
  assert.equal(css.status, 200);
  assert.equal(await css.text(), 'body{}');
  const index = await fetch(`${base}/`);
  assert.equal(index.status, 200);
  assert.match(await index.text(), /src="\/assets\/a\.js" integrity="sha384-/);
});
