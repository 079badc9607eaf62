/**
 * Issue acceptance: a 20 MB random file from a loopback HTTP server downloads byte-exact with curl
 * through a SOCKS5 proxy (`--socks5-hostname`, and with the exit peer as the user name), the HTTP proxy
 * (plain absolute URI and CONNECT via `--proxytunnel`) and a TCP forward — first over a direct link,
 * then with B restarted `--no-direct` so every byte crosses the relay.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ForwardInfo, ProxyInfo } from '../../src-main/forwards/forwards-contract.js';
import { cliJson, stopAll } from '../helpers/processes.js';
import {
  curl,
  curlUnavailable,
  fileServer,
  ok,
  startAgent,
  startPair,
  waitForPath,
} from './forward-helpers.js';
import { freePort } from '../helpers/ports.js';

/** The file size, in bytes. */
const FILE_BYTES = 20 * 1024 * 1024;

const why = curlUnavailable();
if (why) console.log(`# curl downloads through forwards and proxies skipped: ${why}`);
after(stopAll);

test(
  '20 MB byte-exact through SOCKS5, HTTP proxy and TCP forward, over direct and over relay',
  { skip: why, timeout: 300_000 },
  async () => {
    const file = await fileServer(FILE_BYTES);
    after(() => file.server.close());
    const pair = await startPair();
    const home = ['--home', pair.homeA];
    const [socks, userSocks, http, fwd] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    // `s` without a password (as for a browser), `u` and `h` with theirs, given in the URL.
    await ok(['proxy', 'add', '--socks', String(socks), '--via', 'b', '--name', 's', '--no-auth', ...home]);
    await ok(['proxy', 'add', '--socks', `127.0.0.1:${userSocks}`, '--name', 'u', ...home]);
    await ok(['proxy', 'add', '--http', `127.0.0.1:${http}`, '--via', 'b', '--name', 'h', ...home]);
    const secretOf = async (name: string) => (await ok(['proxy', 'secret', name, ...home])).trim();
    const [uSecret, hUrl] = [
      await secretOf('u'),
      (await ok(['proxy', 'secret', 'h', '--url', ...home])).trim(),
    ];
    assert.equal(hUrl, `http://b:${await secretOf('h')}@127.0.0.1:${http}`);
    const added = await ok([
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
    assert.equal(added, `forward f: 127.0.0.1:${fwd} -> b -> 127.0.0.1:${file.port}\n`);

    const url = `http://127.0.0.1:${file.port}/file`;
    const ways: [string, string[]][] = [
      ['SOCKS5 --socks5-hostname', ['--socks5-hostname', `127.0.0.1:${socks}`, url]],
      [
        'SOCKS5 with the exit peer as user name (name resolved at the exit)',
        ['--proxy', `socks5h://b:${uSecret}@127.0.0.1:${userSocks}`, `http://localhost:${file.port}/file`],
      ],
      ['HTTP proxy, absolute URI', ['--proxy', hUrl, url]],
      ['HTTP proxy, CONNECT', ['--proxy', hUrl, '--proxytunnel', url]],
      ['TCP forward', [`http://127.0.0.1:${fwd}/file`]],
    ];
    for (const path of ['direct', 'relay'] as const) {
      if (path === 'relay') {
        await pair.b.stop();
        pair.b = await startAgent(pair.homeB, { name: 'b', listen: false });
        await waitForPath(pair.homeA, 'b', 'relay');
      }
      for (const [label, args] of ways) {
        const r = await curl(args);
        assert.equal(r.code, 0, `${label} over ${path}: curl failed: ${r.stderr}`);
        assert.equal(r.bytes, FILE_BYTES, `${label} over ${path}: length`);
        assert.equal(r.sha256, file.sha256, `${label} over ${path}: SHA-256`);
      }
    }

    const forwards = await cliJson<ForwardInfo[]>(['forward', 'list', ...home]);
    assert.equal(forwards.length, 1);
    assert.deepEqual(Object.keys(forwards[0]!), [
      'name',
      'direction',
      'local',
      'via',
      'viaFingerprint',
      'remote',
      'state',
      'open',
      'connections',
      'bytesIn',
      'bytesOut',
    ]);
    const f = forwards[0]!;
    assert.deepEqual(
      {
        name: f.name,
        local: f.local,
        via: f.via,
        remote: f.remote,
        state: f.state,
        connections: f.connections,
      },
      {
        name: 'f',
        local: `127.0.0.1:${fwd}`,
        via: 'b',
        remote: `127.0.0.1:${file.port}`,
        state: 'listening',
        connections: 2,
      },
    );
    assert.ok(f.bytesIn > 2 * FILE_BYTES && f.bytesIn < 2 * FILE_BYTES + 4096, `bytesIn ${f.bytesIn}`);
    assert.ok(f.bytesOut > 0 && f.bytesOut < 4096, `bytesOut ${f.bytesOut}`);
    const proxies = await cliJson<ProxyInfo[]>(['proxy', 'list', ...home]);
    assert.deepEqual(
      proxies.map((p) => [p.name, p.kind, p.via, p.state, p.connections]),
      [
        ['s', 'socks', 'b', 'listening', 2],
        ['u', 'socks', null, 'listening', 2],
        ['h', 'http', 'b', 'listening', 4],
      ],
    );
  },
);
