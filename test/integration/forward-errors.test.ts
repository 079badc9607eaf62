/**
 * Forwards and proxies with real agents when things go wrong, and across restarts: malformed SOCKS
 * input, closed targets, unknown exit peers, taken ports, non-loopback binds, a peer that denies
 * forwards, per-peer destination limits (`peers limit`; a name pattern never reaches loopback), agent
 * restart (listeners come back), `rm` and agent stop (ports freed).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { connect } from 'node:net';
import type { ForwardInfo } from '../../src-main/forwards/forwards-contract.js';
import { SocksReply } from '../../src-main/protocol/socks5.js';
import { cli, cliJson, stopAll } from '../helpers/processes.js';
import {
  fileServer,
  ok,
  peerOf,
  portFree,
  socksReply,
  startAgent,
  startPair,
  waitForPath,
} from './forward-helpers.js';
import { freePort } from '../helpers/ports.js';
import { until } from '../helpers/wait.js';

after(stopAll);

/** GET through the HTTP proxy at `proxyPort` (or straight to `port` when no proxy): status and body. */
function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path, timeout: 20_000 }, (res) => {
      let body = '';
      res.setEncoding('latin1').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timed out')));
  });
}

/** Connects, sends `data`, and resolves with what came back before the server closed. */
function rawExchange(port: number, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' });
    let got = '';
    const timer = setTimeout(() => reject(new Error('server did not close in 20 s')), 20_000);
    s.on('connect', () => s.write(data));
    s.on('data', (c: Buffer) => (got += c.toString('latin1')));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
  });
}

test('bad input, refusals, taken ports, restart and stop', { timeout: 180_000 }, async () => {
  const file = await fileServer(256 * 1024);
  after(() => file.server.close());
  const pair = await startPair();
  const home = ['--home', pair.homeA];
  const [socks, http, fwd, closed] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  // Without passwords: this test is about the replies to bad input and refusals (passwords:
  // test/security/agent-hardening.test.ts).
  await ok(['proxy', 'add', '--socks', String(socks), '--via', 'b', '--name', 's', '--no-auth', ...home]);
  await ok(['proxy', 'add', '--http', String(http), '--via', 'b', '--name', 'h', '--no-auth', ...home]);
  await ok([
    'forward',
    'add',
    '--local',
    String(fwd),
    '--via',
    'b',
    '--remote',
    `127.0.0.1:${file.port}`,
    '--name',
    'f',
    ...home,
  ]);
  const target = { type: 'ipv4' as const, host: '127.0.0.1', port: file.port };

  // A malformed greeting closes that connection without a reply; the proxy keeps serving.
  assert.equal(await rawExchange(socks, 'hello, proxy\r\n\r\n'), '');
  assert.equal(await socksReply(socks, target), SocksReply.Succeeded);
  // A closed target port: connection refused (0x05).
  assert.equal(await socksReply(socks, { ...target, port: closed }), SocksReply.ConnectionRefused);
  // An unknown exit peer in the user name: not allowed (0x02) and a log line.
  assert.equal(await socksReply(socks, target, 'office'), SocksReply.NotAllowed);
  await until(
    'log line about office',
    () => pair.a.stderr().includes("socks: no peer named 'office'"),
    20_000,
  );
  // Malformed HTTP proxy request: 400; an unreachable target: 502 with the reason.
  assert.match(
    await rawExchange(http, 'GET /not-absolute HTTP/1.1\r\n\r\n'),
    /^HTTP\/1\.1 400 Bad Request\r\n/,
  );
  const unreachable = await httpGet(http, `http://127.0.0.1:${closed}/`);
  assert.deepEqual(unreachable, {
    status: 502,
    body: `cannot reach 127.0.0.1:${closed} via b: connection refused\n`,
  });
  assert.equal((await httpGet(http, `http://127.0.0.1:${file.port}/file`)).status, 200);

  // A taken port, a non-loopback address without the flag, a missing peer: one line each, exit 1.
  const taken = await cli([
    'forward',
    'add',
    '--local',
    String(socks),
    '--via',
    'b',
    '--remote',
    '127.0.0.1:1',
    ...home,
  ]);
  assert.equal(taken.code, 1);
  assert.equal(
    taken.stderr,
    `clawbridge: 127.0.0.1:${socks} is already in use; pick another port or stop the program that uses it\n`,
  );
  const wide = await cli(['proxy', 'add', '--socks', '0.0.0.0:0', '--via', 'b', ...home]);
  assert.equal(wide.code, 1);
  assert.match(wide.stderr, /^clawbridge: 0\.0\.0\.0:0 is not a loopback address: .* --allow-remote-bind/);
  const wideOk = await cli([
    'proxy',
    'add',
    '--socks',
    '0.0.0.0:0',
    '--via',
    'b',
    '--allow-remote-bind',
    '--name',
    'w',
    ...home,
  ]);
  assert.equal(wideOk.code, 0, wideOk.stderr);
  assert.match(wideOk.stderr, /^clawbridge: warning: 0\.0\.0\.0:\d+ accepts connections from other machines/);
  await ok(['proxy', 'rm', 'w', ...home]);
  const noPeer = await cli(['forward', 'add', '--local', '0', '--via', 'nobody', '--remote', 'x:1', ...home]);
  assert.equal(
    noPeer.stderr,
    `clawbridge: no peer named 'nobody'; \`clawbridge peers --home ${home[1]}\` lists them\n`,
  );

  // B stops allowing forwards from A: every front end reports B's refusal in its own way.
  await ok(['peers', 'deny', 'a', 'forward', '--home', pair.homeB]);
  const denial =
    'permission denied: b does not allow forwards from a (its owner can run `clawbridge peers allow a forward` there)';
  assert.equal(await socksReply(socks, target), SocksReply.NotAllowed);
  assert.deepEqual(await httpGet(http, `http://127.0.0.1:${file.port}/file`), {
    status: 502,
    body: `${denial}\n`,
  });
  assert.equal(await rawExchange(fwd, 'GET /file HTTP/1.0\r\n\r\n'), '');
  await until('notice', () => pair.a.stderr().includes(`clawbridge: forward f: ${denial}\n`), 20_000);
  // The forward's listing keeps saying why, until a connection opens again.
  const problem = new RegExp(`^f: last problem at [\\d:-]+( [\\d:]+)?: ${escape(denial)}$`, 'm');
  assert.match(await ok(['forward', 'list', '--home', pair.homeA]), problem);
  await ok(['peers', 'allow', 'a', 'forward', '--home', pair.homeB]);
  assert.equal((await httpGet(fwd, '/file')).body.length, file.size);
  assert.doesNotMatch(await ok(['forward', 'list', '--home', pair.homeA]), /last problem at/);

  // B limits where A's connections may go (`peers limit`): the file server only, then anywhere again.
  const bad = await cli(['peers', 'limit', 'a', 'nonsense', '--home', pair.homeB]);
  assert.equal(bad.code, 1);
  assert.match(
    bad.stderr,
    /^clawbridge: not a HOST:PORT pattern with a port of 1-65535 or a glob: 'nonsense' \(e\.g\. /,
  );
  const only = `127.0.0.1:${file.port}`;
  assert.equal(
    await ok(['peers', 'limit', 'a', only, '--home', pair.homeB]),
    `a may now forward only to ${only}\n`,
  );
  assert.deepEqual((await peerOf(pair.homeB, 'a'))?.forwardTo, [only]);
  assert.equal(await socksReply(socks, target), SocksReply.Succeeded);
  assert.equal(await socksReply(socks, { ...target, port: closed }), SocksReply.NotAllowed);
  // DNS does not decide what a limit allows: `localhost` matches the name pattern `local*` but resolves to
  // loopback, which a name pattern never reaches on its own; naming the address explicitly allows it.
  const byName = `local*:${file.port}`;
  await ok(['peers', 'limit', 'a', byName, '--home', pair.homeB]);
  const named = { type: 'domain' as const, host: 'localhost', port: file.port };
  assert.equal(await socksReply(socks, named), SocksReply.NotAllowed);
  const viaName = await httpGet(http, `http://localhost:${file.port}/file`);
  assert.equal(viaName.status, 502);
  const why = `b does not allow forwards from a to localhost:${file.port}, which resolves to `;
  assert.ok(viaName.body.startsWith(why) && viaName.body.includes('(loopback)'), viaName.body);
  await ok(['peers', 'limit', 'a', byName, only, '--home', pair.homeB]);
  assert.equal(await socksReply(socks, named), SocksReply.Succeeded);
  assert.equal(
    await ok(['peers', 'limit', 'a', '--any', '--home', pair.homeB]),
    'a may now forward to anywhere\n',
  );
  assert.equal((await peerOf(pair.homeB, 'a'))?.forwardTo, null);
  assert.equal(await socksReply(socks, { ...target, port: closed }), SocksReply.ConnectionRefused);

  // Restart A: the saved forward and proxies come back on the same ports, with fresh counters.
  await pair.a.stop();
  assert.deepEqual(await Promise.all([socks, http, fwd].map(portFree)), [true, true, true]);
  pair.a = await startAgent(pair.homeA, { name: 'a' });
  const restored = await cliJson<ForwardInfo[]>(['forward', 'list', ...home]);
  assert.deepEqual(restored, [
    {
      name: 'f',
      direction: 'local',
      local: `127.0.0.1:${fwd}`,
      via: 'b',
      viaFingerprint: (await peerOf(pair.homeA, 'b'))!.fingerprint,
      remote: `127.0.0.1:${file.port}`,
      state: 'listening',
      open: 0,
      connections: 0,
      bytesIn: 0,
      bytesOut: 0,
    },
  ]);
  await waitForPath(pair.homeA, 'b', 'direct');
  assert.equal((await httpGet(fwd, '/file')).body.length, file.size);
  assert.equal((await httpGet(http, `http://127.0.0.1:${file.port}/file`)).status, 200);

  // rm frees the port at once.
  assert.equal(await ok(['forward', 'rm', 'f', ...home]), 'removed forward f\n');
  assert.equal(await portFree(fwd), true);
  const gone = await cli(['forward', 'rm', 'f', ...home]);
  assert.equal(
    gone.stderr,
    `clawbridge: no forward named 'f'; \`clawbridge forward list --home ${home[1]}\` shows them\n`,
  );
  assert.deepEqual(await cliJson<ForwardInfo[]>(['forward', 'list', ...home]), []);
  await pair.a.stop();
  assert.deepEqual(await Promise.all([socks, http].map(portFree)), [true, true]);
});

test(
  '`forward list` and `proxy list` say when the exit peer is offline or no longer a peer',
  { timeout: 90_000 },
  async () => {
    const pair = await startPair();
    const home = ['--home', pair.homeA];
    await waitForPath(pair.homeA, 'b', 'direct');
    const port = await freePort();
    await ok([
      'forward',
      'add',
      '--name',
      'web',
      '--local',
      String(port),
      '--via',
      'b',
      '--remote',
      '127.0.0.1:9',
      ...home,
    ]);
    await ok(['proxy', 'add', '--name', 'sx', '--socks', String(await freePort()), '--via', 'b', ...home]);
    const row = (out: string, name: string) => out.split('\n').find((l) => l.startsWith(`${name} `)) ?? out;
    assert.match(row(await ok(['forward', 'list', ...home]), 'web'), /listening$/);

    await pair.b.stop();
    // Polled over the control socket: a CLI process each poll cost ~0.4 s of CPU.
    await until('b offline', async () => (await peerOf(pair.homeA, 'b'))?.state === 'offline', 30_000);
    assert.match(row(await ok(['forward', 'list', ...home]), 'web'), /listening; b is offline$/);
    assert.match(row(await ok(['proxy', 'list', ...home]), 'sx'), /listening; b is offline$/);
    // JSON stays the forward's own record.
    const [listed] = await cliJson<ForwardInfo[]>(['forward', 'list', ...home]);
    assert.equal(listed?.state, 'listening');

    await ok(['peers', 'remove', 'b', ...home]);
    assert.match(row(await ok(['forward', 'list', ...home]), 'web'), /listening; b is no longer a peer$/);
  },
);

/** `text` as a regular expression that matches it literally. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
