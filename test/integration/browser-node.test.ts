/**
 * The browser is a node (ADR 0094), end to end with real processes on loopback: a relay, an agent behind
 * it showing a code (`pair new`), and the browser-node core (src-web/node/, here in Node with its
 * standard WebCrypto and `ws` for the page's WebSocket). The browser pairs, the owner approves, it opens a
 * terminal and `echo $((6*7))` answers 42; a capture of the relay's port holds nothing typed; the agent
 * lists it as a browser allowed `terminal` only; `peers rm` ends its terminal and it cannot open another.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { PairNewResult, PeerInfo, PendingInfo } from '../../src-main/api/contract.js';
import type { BrowserNode } from '../../src-web/node/browser-node.js';
import { startBrowserNode } from '../helpers/browser-node.js';
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
import { until } from '../helpers/wait.js';
import { startCapture } from '../helpers/capture.js';

after(stopAll);

test('a browser node pairs by code, runs a terminal end to end, and peers rm ends it', async () => {
  const marker = `BRW${randomBytes(12).toString('hex')}`;
  const relayPort = await freePort();
  const capture = await startCapture(relayPort);
  const home = tempHome('device');
  let browser: BrowserNode | undefined;
  try {
    const relay = await startRelay(relayPort);
    await startRelayAgent(home, 'office', relay.url);
    const code = await cliJson<PairNewResult>(['pair', 'new', '--home', home]);

    browser = await startBrowserNode(relay.url);
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
    await capture?.stop();
  }
  if (capture) {
    const captured = capture.bytes();
    // Positive control: the relay traffic is in the capture (the browser's HELLO names it in clear).
    assert.ok(captured.includes(Buffer.from('clawbridge browser')), 'capture holds the browser HELLO');
    assert.equal(captured.includes(marker), false, 'typed marker found in the relay capture');
  }
});

test('a code nobody waits for on the relay is said invalid or expired, with the relay it was looked for on', async () => {
  const relay = await startRelay(await freePort());
  const browser = await startBrowserNode(relay.url);
  try {
    await assert.rejects(
      browser.pair('K7QX-M2RT-9WZA'),
      (e: Error & { code?: string }) =>
        e.code === 'BAD_PAIR_CODE' &&
        e.message.startsWith(`code invalid or expired: nobody on ${relay.url} is waiting for it`),
      'the relay’s PEER_OFFLINE for the rendezvous, in the joiner’s words',
    );
  } finally {
    browser.close();
  }
});
