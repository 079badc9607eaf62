/**
 * A browser node through an agent's own relay (`agent --act-as-relay`, ADR 0094): the agent serves the
 * page (with the relay's headers and Origin check), a browser pairs with the agent through it and opens
 * a terminal (`echo $((6*7))` answers 42); it reaches that agent only. A stranger is let in only while
 * the agent has a code open, and then only to the code's rendezvous; neither it nor the paired browser
 * reaches another node on that relay (P, online there, allowed `relay` by the agent).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import type { PairNewResult, PeerInfo } from '../../src-main/api/contract.js';
import { loadRelayPage } from '../../src-main/relay/page.js';
import { makeBrowserIdentity } from '../../src-web/node/identity.js';
import { RelayConnection } from '../../src-web/node/relay-connection.js';
import { selfSignedWsSocket, startBrowserNode } from '../helpers/browser-node.js';
import { agentCall, cli, cliJson, nodeId, startAgent, stopAll, tempHome } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

after(stopAll);

/** GET (or an upgrade attempt) on the agent's relay; the status and headers it answers. */
function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { rejectUnauthorized: false, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('a browser pairs and runs a terminal through an agent acting as relay, and reaches nothing else there', async () => {
  const [homeO, homeP] = [tempHome('orb-office'), tempHome('orb-p')];
  const fp = (await nodeId(homeP)).fingerprint;
  const office = await startAgent(homeO, {
    name: 'office',
    listen: false,
    args: ['--act-as-relay', '--relay-listen', '127.0.0.1:0'],
  });
  const m = await office.waitForLine(
    /^relay listening on (wss:\/\/127\.0\.0\.1:(\d+)) fingerprint ([0-9a-f]{64})/m,
  );
  const relayUrl = m[1]!;
  const fo = office.fingerprint;
  const pageLine = await office.waitForLine(
    /^relay page at (https:\/\/127\.0\.0\.1:\d+\/) sha256 ([0-9a-f]{64})$/m,
  );

  // The page, as `clawbridge relay` serves it: its CSP, and no socket for another site's page.
  const page = await get(pageLine[1]!);
  assert.equal(page.status, 200);
  assert.equal(page.headers['content-security-policy'], loadRelayPage()!.headers['content-security-policy']);
  assert.match(page.body, /integrity="sha384-/);
  const hostile = await get(pageLine[1]!, {
    Connection: 'Upgrade',
    Upgrade: 'websocket',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    Origin: 'https://evil.example',
  });
  assert.equal(hostile.status, 403, 'a page of another origin gets no socket');

  // P relays through the office (allowed `relay`) and is linked with it there.
  // Over the control socket, as `peers add` does: a CLI process costs ~0.4 s of CPU.
  await agentCall(homeO, 'peers.add', { fingerprint: fp, name: 'p', allow: ['relay'] });
  await startAgent(homeP, {
    name: 'p',
    args: ['--relay', relayUrl, '--relay-fingerprint', fo, '--no-direct'],
  });
  await agentCall(homeP, 'peers.add', { fingerprint: fo, name: 'office' });
  await until(
    'P online at the office, through its relay',
    async () =>
      (await agentCall(homeO, 'peers.list', {})).find((p: PeerInfo) => p.fingerprint === fp)?.online,
    30_000,
  );

  // A stranger, with no code open on the office: refused at the door.
  const stranger = await makeBrowserIdentity('stranger');
  await assert.rejects(
    RelayConnection.connect(relayUrl, stranger, selfSignedWsSocket),
    /serves only the peers its owner allowed/,
  );

  const code = await cliJson<PairNewResult>(['pair', 'new', '--home', homeO]);
  // While a code is open a stranger is let in, to the code's rendezvous only: not to the office's
  // node ID, not to P.
  const guest = await RelayConnection.connect(relayUrl, stranger, selfSignedWsSocket);
  try {
    for (const target of [fo, fp]) {
      await assert.rejects(guest.openCircuit(target), /serves only the peers its owner allowed/, target);
    }
  } finally {
    guest.close();
  }

  const browser = await startBrowserNode(relayUrl, { socket: selfSignedWsSocket });
  try {
    const paired = browser.pair(code.code);
    await until(
      'the browser waits for approval on the office',
      async () =>
        (await agentCall(homeO, 'pending.list', {})).some((p) => p.fingerprint === browser.fingerprint),
      30_000,
    );
    const approved = await cli(['approve', '--latest', '--home', homeO]);
    assert.equal(approved.code, 0, approved.stderr);
    const device = await paired;
    assert.equal(device.fingerprint, fo);

    let output = '';
    let ended = false;
    const terminal = await browser.openTerminal(
      fo,
      { cols: 80, rows: 24 },
      { output: (b) => (output += new TextDecoder().decode(b)), end: () => (ended = true) },
    );
    terminal.write('echo $((6*7))\n');
    await until('the shell answers 42 through the office relay', () => /^42\r?$/m.test(output), 30_000);
    assert.equal(ended, false);
    terminal.close(); // else it would resume on a new connection of the browser's, replacing the one below
  } finally {
    browser.close();
  }

  // Paired with the office, the browser still reaches no one else through it.
  const own = await RelayConnection.connect(relayUrl, browser.identity, selfSignedWsSocket);
  try {
    await assert.rejects(own.openCircuit(fp), /serves only the peers its owner allowed/);
  } finally {
    own.close();
  }
});

test('--no-relay-page: the agent relays as before and serves no page', async () => {
  const home = tempHome('orb-nopage');
  const agent = await startAgent(home, {
    name: 'quiet',
    listen: false,
    args: ['--act-as-relay', '--relay-listen', '127.0.0.1:0', '--no-relay-page'],
  });
  const m = await agent.waitForLine(/^relay listening on wss:\/\/127\.0\.0\.1:(\d+) /m);
  const page = await get(`https://127.0.0.1:${m[1]!}/`);
  assert.equal(page.status, 404);
  assert.doesNotMatch(agent.stdout(), /relay page at/);
});
