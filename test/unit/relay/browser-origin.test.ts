/**
 * Which browser pages may open the relay's WebSocket (relay/origin.ts, ADR 0094): a page of another
 * site (a hostile origin using its visitors' browsers, or framing the relay's page and calling its
 * socket) is refused with 403 before the upgrade; the relay's own page (Origin host = Host), an origin
 * the operator lists, and a node (no Origin at all) get the CHALLENGE as before.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { judgeOrigin } from '../../../src-main/relay/origin.js';
import { normalizePublicName, originNames } from '../../../src-main/relay/page-names.js';
import type { RelayServer } from '../../../src-main/relay/server.js';
import { startTestRelay, within } from '../../helpers/relay-harness.js';

const relays: RelayServer[] = [];
after(() => Promise.all(relays.map((r) => r.close())));

/** What the relay does with an upgrade carrying `headers`: its first frame's type, or the HTTP status. */
function upgrade(relay: RelayServer, headers: Record<string, string>): Promise<string> {
  return within(
    'the relay answers the upgrade',
    new Promise<string>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${relay.port}`, { headers });
      ws.once('message', (data: Buffer) => {
        ws.terminate();
        resolve(data[1] === 0x01 ? 'challenge' : `frame ${data[1]}`);
      });
      ws.once('unexpected-response', (_req, res) => {
        ws.terminate();
        resolve(`http ${res.statusCode}`);
      });
      ws.once('error', (err) => resolve(`error ${err.message}`));
    }),
  );
}

test('a page of another origin is refused before the upgrade; the relay’s own page and nodes are not', async () => {
  const relay = await startTestRelay({ allowedOrigins: ['https://relay.example'] });
  relays.push(relay);
  const own = `http://127.0.0.1:${relay.port}`;
  assert.equal(await upgrade(relay, {}), 'challenge', 'a node sends no Origin');
  assert.equal(await upgrade(relay, { origin: own }), 'challenge', 'the relay’s own page');
  assert.equal(await upgrade(relay, { origin: 'https://relay.example' }), 'challenge', 'a listed origin');
  assert.equal(await upgrade(relay, { origin: 'https://evil.example' }), 'http 403', 'another site');
  assert.equal(await upgrade(relay, { origin: 'null' }), 'http 403', 'a sandboxed frame or a file: page');
  assert.equal(
    await upgrade(relay, { origin: `http://127.0.0.1:${relay.port + 1}` }),
    'http 403',
    'the same host on another port is another origin',
  );
});

test('judgeOrigin: the Origin host must be the Host named; listed origins match exactly', () => {
  const listed = new Set(['https://relay.example']);
  const any = () => true;
  assert.equal(judgeOrigin({ host: 'relay.example:8443' }, listed, any), 'node');
  assert.equal(
    judgeOrigin({ host: 'relay.example:8443', origin: 'https://relay.example:8443' }, listed, any),
    'same-origin',
  );
  assert.equal(
    judgeOrigin({ host: 'Relay.Example:8443', origin: 'https://relay.example:8443' }, listed, any),
    'same-origin',
  );
  assert.equal(
    judgeOrigin({ host: 'proxy.internal', origin: 'https://relay.example' }, listed, any),
    'listed',
  );
  assert.equal(
    judgeOrigin({ host: 'relay.example', origin: 'https://relay.example.evil' }, listed, any),
    'refused',
  );
  assert.equal(judgeOrigin({ origin: 'https://relay.example:8443' }, new Set(), any), 'refused');
  assert.equal(judgeOrigin({ host: 'x', origin: 'chrome-extension://x' }, new Set(), any), 'refused');
  assert.equal(judgeOrigin({ host: 'x', origin: `https://${'a'.repeat(400)}` }, new Set(), any), 'refused');
});

test('judgeOrigin: an Origin that is its Host, where the Host is no name of the relay, is misdirected (DNS rebinding)', () => {
  const ownHost = (host: string) => host === 'relay.example';
  const rebound = { host: 'evil.example:8443', origin: 'http://evil.example:8443' };
  assert.equal(judgeOrigin(rebound, new Set(), ownHost), 'misdirected');
  const own = { host: 'relay.example', origin: 'https://relay.example' };
  assert.equal(judgeOrigin(own, new Set(), ownHost), 'same-origin');
  const listed = { host: 'evil.example', origin: 'https://app.example' };
  assert.equal(
    judgeOrigin(listed, new Set(['https://app.example']), ownHost),
    'listed',
    'the operator vouched',
  );
});

test('the relay’s page names: given, certificate and listed-origin names, normalized as a Host reads', () => {
  assert.equal(normalizePublicName(' Relay.Example '), 'relay.example');
  assert.equal(normalizePublicName('*.relays.example'), '*.relays.example');
  assert.equal(normalizePublicName('[2001:DB8:0:0:0:0:0:1]'), '2001:db8::1');
  assert.equal(normalizePublicName('192.0.2.9'), '192.0.2.9');
  for (const bad of [
    'https://relay.example',
    'relay.example:443',
    'relay.example/x',
    '',
    'a b',
    '-x.example',
  ]) {
    assert.throws(() => normalizePublicName(bad), /is not a host name or IP address/, bad);
  }
  assert.deepEqual(originNames(['https://relay.example', 'http://[::1]:8080']), ['relay.example', '::1']);
});
