/**
 * A WireGuard tunnel whose only path is a Clawbridge UDP forward over a relay-only link: two network
 * namespaces this test creates, each with a userspace WireGuard interface (wireguard-go on a TUN
 * device) whose endpoint is on its own loopback; agent a (in the first) forwards UDP to agent b (in the
 * second, --no-direct), whose exit sends to the second interface. An HTTP download from the second
 * namespace's tunnel address arrives byte-exact in the first. Needs root, iproute2, wireguard-go, wg
 * and curl; says why it skips otherwise. The namespaces share one veth pair that carries only the
 * relay's WebSocket (the relay runs in the first namespace); nothing routes the tunnel's addresses
 * except the WireGuard interfaces.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, cliJson, startAgent, startProcess, stopAll, tempHome, nodeId } from '../helpers/processes.js';
import { peerOf } from './terminal-setup.js';
import { until } from '../helpers/wait.js';

/** Bytes downloaded through the tunnel (the 50 MiB). */
const DOWNLOAD_BYTES = 50 * 1024 * 1024;

const children: ChildProcess[] = [];
const cleanups: (() => void)[] = [];
after(async () => {
  await stopAll();
  for (const c of children) c.kill('SIGTERM');
  for (const f of cleanups.reverse()) {
    try {
      f();
    } catch {
      /* already gone */
    }
  }
});

function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

function unavailable(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces and TUN devices need Linux';
  if (process.getuid?.() !== 0) return 'network namespaces and TUN devices need root';
  for (const [cmd, pkg] of [
    ['ip', 'iproute2'],
    ['wireguard-go', 'wireguard-go'],
    ['wg', 'wireguard-tools'],
    ['curl', 'curl'],
  ] as const) {
    if (!has(cmd)) return `${cmd} is not installed (Debian package ${pkg}; .ci/run installs it as root)`;
  }
  return undefined;
}

const run = (cmd: string, args: string[], input?: string): string =>
  execFileSync(cmd, args, { stdio: 'pipe', ...(input !== undefined ? { input } : {}) })
    .toString()
    .trim();
const inNs = (ns: string, cmd: string, ...args: string[]): string =>
  run('ip', ['netns', 'exec', ns, cmd, ...args]);

/** A free UDP port inside `ns`: asked of the kernel there, then released. */
function freeUdpPortIn(ns: string): number {
  const out = inNs(
    ns,
    process.execPath,
    '-e',
    "const s=require('dgram').createSocket('udp4');s.bind(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})",
  );
  return Number(out);
}

test(
  'a WireGuard tunnel over a UDP forward carries an HTTP download byte-exact',
  { timeout: 240_000 },
  async (t) => {
    const why = unavailable();
    if (why) return t.skip(why);
    const id = `cbw${process.pid % 100000}`;
    const [n1, n2] = [`${id}1`, `${id}2`];
    // 198.18.0.0/15 is for benchmarking links: nothing real lives there. 10.99.0.0/24 exists only inside
    // the tunnel. Interface names are this test's own (wireguard-go's sockets share /var/run/wireguard).
    const [vethA, vethB, wgA, wgB] = [`${id}va`, `${id}vb`, `${id}wa`, `${id}wb`];
    run('ip', ['netns', 'add', n1]);
    cleanups.push(() => run('ip', ['netns', 'del', n1]));
    run('ip', ['netns', 'add', n2]);
    cleanups.push(() => run('ip', ['netns', 'del', n2]));
    run('ip', ['link', 'add', vethA, 'type', 'veth', 'peer', 'name', vethB]);
    run('ip', ['link', 'set', vethA, 'netns', n1]);
    run('ip', ['link', 'set', vethB, 'netns', n2]);
    for (const [ns, dev, addr] of [
      [n1, vethA, '198.18.81.1/30'],
      [n2, vethB, '198.18.81.2/30'],
    ] as const) {
      run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      run('ip', ['-n', ns, 'addr', 'add', addr, 'dev', dev]);
      run('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    }

    // The relay and agent a in the first namespace, agent b (relay only) in the second.
    const relay = startProcess(
      ['relay', '--listen', '198.18.81.1:0', '--no-tls', '--home', tempHome('wg-relay')],
      {},
      ['ip', 'netns', 'exec', n1],
    );
    const relayUrl = (await relay.waitForLine(/^relay listening on (ws:\/\/\S+)$/m))[1]!;
    const homeA = tempHome('wg-a');
    const homeB = tempHome('wg-b');
    await Promise.all([
      startAgent(homeA, { name: 'a', relay: relayUrl, listen: '127.0.0.1:0', netns: n1 }),
      startAgent(homeB, { name: 'b', relay: relayUrl, listen: false, netns: n2 }),
    ]);
    const fa = (await nodeId(homeA)).fingerprint;
    const fb = (await nodeId(homeB)).fingerprint;
    for (const r of [
      await cli(['peers', 'add', fb, '--name', 'b', '--home', homeA]),
      await cli(['peers', 'add', fa, '--name', 'a', '--home', homeB]),
    ]) {
      assert.equal(r.code, 0, r.stderr);
    }
    await until('a→b over the relay', async () => (await peerOf(homeA, 'b'))?.path === 'relay', 30_000);

    // WireGuard: wgA's peer is at the forward's port on n1's loopback; wgB listens on n2's loopback,
    // where b's exit sends, and learns its peer's endpoint (the exit's socket) from what arrives.
    const dir = tempHome('wg-keys');
    const keys = [0, 1].map(() => {
      const priv = run('wg', ['genkey']);
      return { priv, pub: run('wg', ['pubkey'], priv) };
    });
    keys.forEach((k, i) => writeFileSync(join(dir, `k${i}`), k.priv, { mode: 0o600 }));
    const portB = freeUdpPortIn(n2);
    const fwdPort = freeUdpPortIn(n1);
    const fwd = await cli([
      'forward',
      'add',
      '--udp',
      '--listen',
      String(fwdPort),
      '--via',
      'b',
      '--to',
      `127.0.0.1:${portB}`,
      '--name',
      'wg',
      '--home',
      homeA,
    ]);
    assert.equal(fwd.code, 0, fwd.stderr);
    for (const [ns, dev] of [
      [n1, wgA],
      [n2, wgB],
    ] as const) {
      const wg = spawn('ip', ['netns', 'exec', ns, 'wireguard-go', '--foreground', dev], {
        stdio: 'ignore',
        env: { ...process.env, WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD: '1' },
      });
      children.push(wg);
      await until(
        `${dev} up`,
        () => {
          try {
            inNs(ns, 'ip', 'link', 'show', dev);
            return true;
          } catch {
            return false;
          }
        },
        30_000,
      );
    }
    inNs(
      n1,
      'wg',
      'set',
      wgA,
      'private-key',
      join(dir, 'k0'),
      'peer',
      keys[1]!.pub,
      'allowed-ips',
      '10.99.0.2/32',
      'endpoint',
      `127.0.0.1:${fwdPort}`,
      'persistent-keepalive',
      '5',
    );
    inNs(
      n2,
      'wg',
      'set',
      wgB,
      'listen-port',
      String(portB),
      'private-key',
      join(dir, 'k1'),
      'peer',
      keys[0]!.pub,
      'allowed-ips',
      '10.99.0.1/32',
    );
    inNs(n1, 'ip', 'addr', 'add', '10.99.0.1/24', 'dev', wgA);
    inNs(n2, 'ip', 'addr', 'add', '10.99.0.2/24', 'dev', wgB);
    inNs(n1, 'ip', 'link', 'set', wgA, 'up');
    inNs(n2, 'ip', 'link', 'set', wgB, 'up');

    // An HTTP server on the tunnel address in n2, serving deterministic bytes.
    const server = spawn(
      'ip',
      [
        'netns',
        'exec',
        n2,
        process.execPath,
        '-e',
        `const n=${DOWNLOAD_BYTES};const block=Buffer.alloc(65536);for(let i=0;i<block.length;i++)block[i]=(i*131+7)&255;
require('http').createServer((q,r)=>{r.writeHead(200,{'content-length':n});let left=n;const more=()=>{while(left>0){const c=block.subarray(0,Math.min(left,block.length));left-=c.length;if(!r.write(c))return r.once('drain',more);}r.end();};more();}).listen(8080,'10.99.0.2',()=>console.log('up'));`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(server);
    await new Promise<void>((r) => server.stdout.once('data', () => r()));

    const expected = createHash('sha256');
    const block = Buffer.alloc(65536);
    for (let i = 0; i < block.length; i++) block[i] = (i * 131 + 7) & 255;
    for (let left = DOWNLOAD_BYTES; left > 0; left -= block.length) {
      expected.update(block.subarray(0, Math.min(left, block.length)));
    }

    const started = Date.now();
    const got = await new Promise<{ bytes: number; sha: string; code: number | null }>((resolve) => {
      const curl = spawn(
        'ip',
        ['netns', 'exec', n1, 'curl', '-sS', '--max-time', '150', 'http://10.99.0.2:8080/'],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      const hash = createHash('sha256');
      let bytes = 0;
      curl.stdout.on('data', (c: Buffer) => {
        bytes += c.length;
        hash.update(c);
      });
      curl.on('exit', (code) => resolve({ bytes, sha: hash.digest('hex'), code }));
    });
    const seconds = (Date.now() - started) / 1000;
    t.diagnostic(
      `${DOWNLOAD_BYTES / 1048576} MiB through WireGuard over the UDP forward in ${seconds.toFixed(1)} s`,
    );
    assert.equal(got.code, 0);
    assert.equal(got.bytes, DOWNLOAD_BYTES);
    assert.equal(got.sha, expected.digest('hex'));
    const info = (
      await cliJson<{ name: string; dropped?: number; datagramsOut?: number }[]>([
        'forward',
        'list',
        '--home',
        homeA,
      ])
    ).find((f) => f.name === 'wg');
    t.diagnostic(`forward wg: ${JSON.stringify(info)}`);
  },
);
