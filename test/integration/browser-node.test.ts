/**
 * The browser is a node (ADR 0094), end to end with real processes on loopback: a relay, an agent behind
 * it showing a code (`pair new`), and the browser-node core (src-web/node/, here in Node with its
 * standard WebCrypto and `ws` for the page's WebSocket). The browser pairs, the owner approves, it opens a
 * terminal and `echo $((6*7))` answers 42; a capture of the relay's port holds nothing typed; the agent
 * lists it as a browser allowed `terminal` only; `peers rm` ends its terminal and it cannot open another.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { PairNewResult, PeerInfo, PendingInfo } from '../../src-main/api/contract.js';
import { BrowserNode } from '../../src-web/node/browser-node.js';
import type { SocketLike } from '../../src-web/node/relay-connection.js';
import { MemoryStore } from '../../src-web/node/store.js';
import { freePort } from '../helpers/ports.js';
import {
  agentCall,
  cli,
  cliJson,
  startRelay,
  startRelayAgent,
  stopAll,
  tempHome,
} from '../helpers/processes.js';
import { sleep, until } from '../helpers/wait.js';

after(stopAll);

/** tcpdump when it can run here (root, installed or installable); why not, otherwise. */
function tcpdumpUnavailable(): string | undefined {
  const has = () => spawnSync('tcpdump', ['--version'], { stdio: 'ignore' }).status === 0;
  if (process.getuid?.() !== 0) return 'capturing packets needs root';
  if (has()) return undefined;
  spawnSync('apt-get', ['install', '-y', '-q', 'tcpdump'], {
    stdio: 'ignore',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return has() ? undefined : 'tcpdump could not be installed with apt-get';
}

/** The page's WebSocket, as `ws` provides it in Node. */
const socket = (url: string): SocketLike => new WebSocket(url) as unknown as SocketLike;

const why = tcpdumpUnavailable();
if (why) console.log(`# browser-node capture skipped: ${why}`);

test('a browser node pairs by code, runs a terminal end to end, and peers rm ends it', async () => {
  const marker = `BRW${randomBytes(12).toString('hex')}`;
  const relayPort = await freePort();
  const pcap = join(tempHome('pcap'), 'relay.pcap');
  let dump: ReturnType<typeof spawn> | undefined;
  let dumpErr = '';
  if (!why) {
    dump = spawn('tcpdump', ['-i', 'lo', '-U', '-s', '0', '-w', pcap, 'tcp', 'port', String(relayPort)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    dump.stderr!.setEncoding('utf8').on('data', (c: string) => (dumpErr += c));
    await until('tcpdump listening', () => /listening on/.test(dumpErr), 30_000);
  }
  const home = tempHome('device');
  let browser: BrowserNode | undefined;
  try {
    const relay = await startRelay(relayPort);
    await startRelayAgent(home, 'office', relay.url);
    const code = await cliJson<PairNewResult>(['pair', 'new', '--home', home]);

    browser = await BrowserNode.start({
      relayUrl: relay.url,
      socket,
      store: new MemoryStore(),
      name: 'phone',
    });
    const fingerprint = browser.fingerprint;
    assert.match(fingerprint, /^[0-9a-f]{64}$/);
    const verified: { fingerprint: string; name: string }[] = [];
    const paired = browser.pair(code.code, (d) => verified.push(d));

    const request = await until(
      'the browser waits for approval on the device',
      async () =>
        (await agentCall(home, 'pending.list', {})).find((p: PendingInfo) => p.fingerprint === fingerprint),
      30_000,
    );
    assert.equal(request.via, 'code');
    assert.equal(request.name, 'phone');
    const approved = await cli(['approve', '--latest', '--home', home]);
    assert.equal(approved.code, 0, approved.stderr);
    // A browser is granted terminal and nothing else by default.
    assert.match(approved.stdout, /phone may do here: terminal$/m);
    const device = await paired;
    assert.equal(device.name, 'office');
    assert.equal(verified[0]?.fingerprint, device.fingerprint, 'the code checked out before the decision');

    const peer = (await agentCall(home, 'peers.list', {})).find(
      (p: PeerInfo) => p.fingerprint === fingerprint,
    );
    assert.equal(peer?.kind, 'browser');
    assert.deepEqual(peer?.allow, ['terminal']);

    let output = '';
    let ended: { exit?: unknown; error?: string } | undefined;
    const terminal = await browser.openTerminal(
      device.fingerprint,
      { cols: 80, rows: 24 },
      {
        output: (bytes) => (output += new TextDecoder().decode(bytes)),
        end: (result) => (ended = result),
      },
    );
    terminal.write(`echo $((6*7)) ${marker}\n`);
    await until('the shell answers 42', () => output.includes(`42 ${marker}`), 30_000);

    await until(
      'the device lists the browser online',
      async () =>
        (await agentCall(home, 'peers.list', {})).find((p: PeerInfo) => p.fingerprint === fingerprint)
          ?.online,
      30_000,
    );
    const removed = await cli(['peers', 'rm', 'phone', '--home', home]);
    assert.equal(removed.code, 0, removed.stderr);
    await until('the browser terminal ends after peers rm', () => ended !== undefined, 5_000);
    await assert.rejects(
      browser.openTerminal(
        device.fingerprint,
        { cols: 80, rows: 24 },
        { output: () => undefined, end: () => undefined },
      ),
      'a removed browser cannot open another terminal',
    );
  } finally {
    browser?.close();
    if (dump) {
      await sleep(500, 'the capture takes in the last packets; it says nothing when');
      dump.kill('SIGINT');
      await new Promise((r) => dump.once('exit', r));
    }
  }
  if (dump) {
    const captured = readFileSync(pcap);
    // Positive control: the relay traffic is in the capture (the browser's HELLO names it in clear).
    assert.ok(captured.includes(Buffer.from('clawbridge browser')), 'capture holds the browser HELLO');
    assert.equal(captured.includes(marker), false, 'typed marker found in the relay capture');
  }
});
