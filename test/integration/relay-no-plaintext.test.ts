/**
 * The relay sees no plaintext (issue acceptance): a packet capture of a `--no-tls` relay's port while a
 * relayed terminal prints one random marker and a relayed SOCKS download carries another. Neither marker
 * may appear in the capture; the capture must contain the relay traffic itself (a node certificate sent
 * in HELLO), so an empty capture cannot pass. The same for a file sent with a code (issue 86): neither
 * the file's bytes nor the code cross the relay in the clear.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  agentCall,
  cli,
  nodeId,
  startAgent,
  startProcess,
  startRelay,
  stopAll,
  tempHome,
} from '../helpers/processes.js';
import { captureUnavailable, startCapture } from '../helpers/capture.js';
import { freePort } from '../helpers/ports.js';
import { until } from '../helpers/wait.js';

/** Runs curl without blocking this process (the HTTP server it talks to lives here). */
function curlText(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('curl', ['-sS', '--max-time', '20', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`curl failed (${code}): ${err}`)),
    );
  });
}

const why = captureUnavailable();
if (why) console.log(`# relay packet-capture test skipped: ${why}`);
after(stopAll);

test(
  'a packet capture of a plain-ws relay contains neither the terminal nor the SOCKS marker',
  { skip: why },
  async () => {
    const terminalMarker = `TERM${randomBytes(12).toString('hex')}`;
    const socksMarker = `SOCK${randomBytes(12).toString('hex')}`;
    const relayPort = await freePort();
    const homes = { a: '' };
    const capture = await startCapture(relayPort);
    assert.ok(capture, 'the capture starts (tcpdump was there when this file loaded)');
    try {
      await startRelay(relayPort);
      const url = `ws://127.0.0.1:${relayPort}`;
      const homeA = (homes.a = tempHome('pa'));
      const homeB = tempHome('pb');
      await Promise.all([
        startAgent(homeA, { name: 'a', relay: url, listen: false }),
        startAgent(homeB, { name: 'b', relay: url, listen: false }),
      ]);
      const fa = (await nodeId(homeA)).fingerprint;
      const fb = (await nodeId(homeB)).fingerprint;
      await cli(['peers', 'add', fb, '--name', 'b', '--home', homeA]);
      await cli(['peers', 'add', fa, '--name', 'a', '--home', homeB]);
      await until(
        'relay link',
        async () => (await agentCall(homeA, 'peers.list', {}))[0]?.path === 'relay',
        30_000,
      );

      // A relayed terminal prints the first marker.
      const term = await cli(['term', 'b', '--home', homeA, '--', 'sh', '-c', `echo ${terminalMarker}`]);
      assert.equal(term.code, 0, term.stderr);
      assert.ok(term.stdout.includes(terminalMarker), 'term.stdout.includes(terminalMarker)');

      // A relayed SOCKS download carries the second.
      const http = createServer((_req, res) => res.end(`${socksMarker}\n`.repeat(1000)));
      await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
      const httpPort = (http.address() as AddressInfo).port;
      const socksPort = await freePort();
      const added = await cli([
        'proxy',
        'add',
        '--socks',
        `127.0.0.1:${socksPort}`,
        '--via',
        'b',
        '--no-auth',
        '--home',
        homeA,
      ]);
      assert.equal(added.code, 0, added.stderr);
      const body = await curlText([
        '--socks5-hostname',
        `127.0.0.1:${socksPort}`,
        `http://127.0.0.1:${httpPort}/`,
      ]);
      assert.ok(body.includes(socksMarker), 'the download went through');
      http.close();
    } finally {
      await capture.stop();
    }
    const captured = capture.bytes();
    // Positive control: A's certificate crosses the relay connection in the clear (relay HELLO).
    assert.ok(
      captured.includes(new X509Certificate(readFileSync(join(homes.a, 'identity.crt'))).raw),
      'capture holds relay traffic',
    );
    assert.equal(captured.includes(terminalMarker), false, 'terminal marker found in the relay capture');
    assert.equal(captured.includes(socksMarker), false, 'SOCKS marker found in the relay capture');
  },
);

test(
  'a packet capture of a plain-ws relay holds none of a file sent with a code, nor the code',
  { skip: why, timeout: 180_000 },
  async () => {
    const marker = Buffer.from(`FILE${randomBytes(12).toString('hex')}`);
    const relayPort = await freePort();
    const capture = await startCapture(relayPort);
    assert.ok(capture, 'the capture starts (tcpdump was there when this file loaded)');
    const home = tempHome('code-sender');
    const work = tempHome('code-work');
    let code = '';
    try {
      await startRelay(relayPort);
      await startAgent(home, { name: 'sender', relay: `ws://127.0.0.1:${relayPort}`, listen: false });
      // The marker over and over: wherever a packet cuts the file, whole markers sit in every packet.
      const file = join(work, 'marked.bin');
      writeFileSync(file, Buffer.concat(Array.from({ length: 20_000 }, () => marker)));
      const send = startProcess(['file', 'send', file, '--code', '--json', '--home', home]);
      const line = await send.waitForLine(/^\{"event":"code".*\}$/m, 60_000);
      const offer = JSON.parse(line[0]) as { code: string; link: string };
      code = offer.code;
      // The receiver is no agent: it meets the code on the relay and dials the sender through it.
      const got = await cli(['file', 'receive', offer.link, '--to', join(work, 'got')], 120_000);
      assert.equal(got.code, 0, got.stderr);
      assert.ok(readFileSync(join(work, 'got', 'marked.bin')).equals(readFileSync(file)), 'byte-exact');
    } finally {
      await capture.stop();
    }
    const captured = capture.bytes();
    assert.ok(
      captured.includes(new X509Certificate(readFileSync(join(home, 'identity.crt'))).raw),
      'capture holds relay traffic (the sender’s certificate in its relay HELLO)',
    );
    assert.ok(
      captured.length > marker.length * 20_000,
      `the file crossed the relay, sealed (${captured.length} bytes captured)`,
    );
    assert.equal(captured.includes(marker), false, "the file's bytes are in the relay capture");
    assert.equal(captured.includes(Buffer.from(code)), false, 'the code is in the relay capture');
  },
);
