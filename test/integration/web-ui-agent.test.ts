/**
 * The web UI of a real agent process (built CLI and renderer: `npm run build`): `clawbridge ui`, the
 * token file, the refusals of docs/web-ui.md, the API over WebSocket and token replacement.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import {
  CLI,
  cli,
  stopAll,
  tempHome,
  type CliResult,
  startAgent,
  assertAgentFailed,
} from '../helpers/processes.js';
import { apiSession, httpGet, openSocket, parseLink, whenClosed } from './web-ui-helpers.js';

after(stopAll);

async function uiLink(home: string, ...flags: string[]): Promise<{ port: number; token: string }> {
  const r = await cli(['ui', '--home', home, '--no-open', '--json', ...flags]);
  assert.equal(r.code, 0, r.stderr);
  return parseLink((JSON.parse(r.stdout) as { url: string }).url);
}

test('clawbridge ui prints the link with a 64-hex token kept 0600; the page and its refusals', async () => {
  const home = tempHome('webui');
  const port = (await startAgent(home, { listen: false, ui: true })).uiPort!;
  const link = await uiLink(home);
  assert.equal(link.port, port);
  const tokenFile = join(home, 'ui-token');
  assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
  assert.equal(readFileSync(tokenFile, 'utf8').trim(), link.token);
  assert.deepEqual(await uiLink(home), link, 'the same link until it is replaced');

  const page = await httpGet(port, '/');
  assert.equal(page.status, 200, 'the renderer is built (npm run build)');
  assert.match(page.body, /<html/i);
  assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
  assert.match(String(page.headers['content-security-policy']), /^default-src 'self'; script-src 'self';/);
  assert.match(String(page.headers['content-security-policy']), /frame-ancestors 'none'/);
  assert.equal(page.headers['referrer-policy'], 'no-referrer');
  assert.equal(page.headers['x-frame-options'], 'DENY');

  assert.equal((await httpGet(port, '/', `evil.example:${port}`)).status, 421);
  assert.equal((await httpGet(port, '/', 'evil.example:7476')).status, 421);
  for (const path of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/assets/../../../../etc/passwd']) {
    const r = await httpGet(port, path);
    assert.equal(r.status, 404, path);
    assert.doesNotMatch(r.body, /root:/);
  }
  assert.equal(await openSocket(port, '/api', 'http://evil.example'), 403);
  assert.equal(await openSocket(port, '/api', `http://evil.example:${port}`), 403);
});

test('the API over WebSocket: token first, requests answered, errors replied, a new token ends old sessions', async () => {
  const home = tempHome('webui-ws');
  const port = (await startAgent(home, { name: 'webby', listen: false, ui: true })).uiPort!;
  const { token } = await uiLink(home);

  for (const wrong of [undefined, '0'.repeat(64)]) {
    const ws = await openSocket(port, '/api', `http://127.0.0.1:${port}`);
    assert.ok(typeof ws !== 'number', "typeof ws !== 'number'");
    const closed = whenClosed(ws);
    if (wrong !== undefined) ws.send(JSON.stringify({ type: 'auth', token: wrong }));
    assert.deepEqual(await closed, { code: 4401, reason: 'open the link that clawbridge ui prints' });
  }

  const s = await apiSession(port, token);
  s.ws.send(JSON.stringify({ type: 'request', id: 1, method: 'status', params: {} }));
  const status = await s.next();
  assert.equal(status.ok, true);
  assert.equal((status.result as { name: string }).name, 'webby');
  s.ws.send(JSON.stringify({ type: 'request', id: 2, method: 'peers.nuke', params: {} }));
  assert.deepEqual(await s.next(), {
    type: 'response',
    id: 2,
    ok: false,
    error: { code: 'BAD_ARGUMENT', message: "unknown method 'peers.nuke'" },
  });
  s.ws.send(JSON.stringify({ type: 'request', id: 3, method: 'peers.list', params: {} }));
  assert.deepEqual(await s.next(), { type: 'response', id: 3, ok: true, result: [] });

  const oldClosed = whenClosed(s.ws);
  const fresh = await uiLink(home, '--new-token');
  assert.notEqual(fresh.token, token);
  assert.deepEqual(await oldClosed, { code: 4401, reason: 'open the link that clawbridge ui prints' });
  assert.equal(readFileSync(join(home, 'ui-token'), 'utf8').trim(), fresh.token);
  const again = await openSocket(port, '/api', `http://127.0.0.1:${port}`);
  assert.ok(typeof again !== 'number', "typeof again !== 'number'");
  const refused = whenClosed(again);
  again.send(JSON.stringify({ type: 'auth', token }));
  assert.equal((await refused).code, 4401, 'the old token no longer opens a session');
  const s2 = await apiSession(port, fresh.token);
  s2.ws.send(JSON.stringify({ type: 'request', id: 1, method: 'ui.url', params: {} }));
  assert.equal(parseLink(((await s2.next()).result as { url: string }).url).token, fresh.token);
  s2.ws.close();
});

test('--no-ui serves none (clawbridge ui says so); a taken port falls back to a free one and says so', async () => {
  const home = tempHome('webui-off');
  const agent = await startAgent(home, { listen: false, ui: false });
  const r = await cli(['ui', '--home', home, '--no-open']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /the web UI is off/);
  assert.doesNotMatch(agent.stdout(), /web UI on/);
  await agent.stop();

  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const taken = (blocker.address() as { port: number }).port;
  const home2 = tempHome('webui-taken');
  const other = await startAgent(home2, { listen: false, args: ['--ui-listen', `127.0.0.1:${taken}`] });
  assert.notEqual(other.uiPort, taken);
  assert.match(
    other.stderr(),
    new RegExp(`web UI port ${taken} is taken; serving it on port ${other.uiPort}`),
  );
  assert.equal((await uiLink(home2)).port, other.uiPort);
  blocker.close();
});

test('an address other machines can reach is refused without --allow-remote-ui, before the home exists', async () => {
  const home = join(tempHome('webui-remote'), 'not-yet');
  const r = await startAgent(home, { args: ['--ui-listen', '0.0.0.0:7476'], expect: 'failure' });
  assertAgentFailed(r, /--ui-listen 0\.0\.0\.0:7476 is reachable from other machines.*add --allow-remote-ui/);
  assert.equal(existsSync(home), false);
});

/** `clawbridge ui --home HOME` with a stand-in `xdg-open` first on PATH (Linux; never a real browser). */
function uiWithOpener(home: string, opener: string): Promise<CliResult> {
  const bin = tempHome('opener');
  writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\n${opener}\n`);
  chmodSync(join(bin, 'xdg-open'), 0o755);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'ui', '--home', home], {
      env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test(
  'clawbridge ui opens the link with xdg-open; an opener that fails is a hint, not an error',
  { skip: process.platform !== 'linux' },
  async () => {
    const home = tempHome('webui-open');
    await startAgent(home, { listen: false, ui: true });
    const { token } = await uiLink(home);
    const seen = join(home, 'opened-url');
    // The opener gets an address that hands the link over (cli/ui-handoff.ts), never the token: it
    // fetches it as the browser would and follows it to the link.
    const ok = await uiWithOpener(
      home,
      `printf '%s' "$1" > '${seen}'; curl -s -o /dev/null -w '%{redirect_url}' "$1" > '${seen}.link'`,
    );
    assert.equal(ok.code, 0, ok.stderr);
    assert.doesNotMatch(readFileSync(seen, 'utf8'), new RegExp(token));
    assert.equal(readFileSync(`${seen}.link`, 'utf8'), ok.stdout.trim());
    assert.match(ok.stdout, new RegExp(`#token=${token}$`, 'm'));
    assert.equal(ok.stderr, '');
    const failing = await uiWithOpener(home, 'exit 3');
    assert.equal(failing.code, 0);
    assert.match(failing.stdout, /^http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]{64}$/m);
    assert.match(
      failing.stderr,
      /could not open a browser \(xdg-open exited with status 3\); open the link above/,
    );
  },
);
