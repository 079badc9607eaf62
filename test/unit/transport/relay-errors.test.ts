/** Every relay close code becomes one user-facing line with a stable error code. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ErrorCode } from '../../../src-main/core/errors.js';
import { RelayCloseCode } from '../../../src-main/protocol/relay-close-codes.js';
import {
  circuitRefusedError,
  relayCloseError,
  relayConnectError,
} from '../../../src-main/transport/relay-errors.js';

const URL = 'ws://relay.example:7777';
const PEER = '1a2b' + '0'.repeat(56) + '9f0c';

test('close codes map to error codes and lines that say what to do', () => {
  const cases: [number, ErrorCode, string][] = [
    [
      RelayCloseCode.TOKEN_REJECTED,
      'RELAY_AUTH_FAILED',
      `relay ${URL}: access token rejected — check the token given with --relay-token-file`,
    ],
    [
      RelayCloseCode.TOKEN_REQUIRED,
      'RELAY_AUTH_FAILED',
      `relay ${URL} requires an access token — give it with --relay-token-file`,
    ],
    [RelayCloseCode.BAD_SIGNATURE, 'RELAY_AUTH_FAILED', 'identity key does not match its certificate'],
    [RelayCloseCode.AUTH_TIMEOUT, 'RELAY_AUTH_FAILED', 'authentication timed out'],
    [RelayCloseCode.AUTH_RATE_LIMITED, 'RELAY_LIMIT', 'too many connection attempts from this address'],
    [RelayCloseCode.TOO_MANY_CONNECTIONS, 'RELAY_LIMIT', 'too many connections from this address'],
    [RelayCloseCode.SLOW_CONSUMER, 'RELAY_LIMIT', 'reading too slowly'],
    [RelayCloseCode.IDLE_TIMEOUT, 'LINK_CLOSED', 'idle connection'],
    [RelayCloseCode.REPLACED, 'RELAY_REPLACED', 'running twice with the same identity'],
    [RelayCloseCode.GOING_AWAY, 'RELAY_UNREACHABLE', 'shutting down'],
    [
      RelayCloseCode.MALFORMED_FRAME,
      'PROTOCOL',
      '(4000: malformed relay frame: x) — the relay and this node may run incompatible versions',
    ],
    [RelayCloseCode.FRAME_TOO_LARGE, 'PROTOCOL', 'incompatible versions'],
    [1006, 'RELAY_UNREACHABLE', `connection to relay ${URL} lost (1006); reconnecting`],
  ];
  for (const [code, errorCode, text] of cases) {
    const err = relayCloseError(
      URL,
      code,
      code === RelayCloseCode.MALFORMED_FRAME ? 'malformed relay frame: x' : '',
    );
    assert.equal(err.code, errorCode, String(code));
    assert.ok(err.message.includes(text), `${code}: ${err.message}`);
    assert.ok(!err.message.includes('\n'), "!err.message.includes('\\n')");
  }
});

test('connection errors name the cause', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  assert.match(
    relayConnectError(URL, refused).message,
    /unreachable \(connection refused\) — check the address/,
  );
  const dns = Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
  assert.match(relayConnectError(URL, dns).message, /host not found/);
  assert.match(
    relayConnectError(URL, new Error('Unexpected server response: 502')).message,
    /answered HTTP 502/,
  );
  assert.match(relayConnectError(URL, new Error('Opening handshake has timed out')).message, /timed out/);
  assert.equal(relayConnectError(URL, new Error('weird')).code, 'RELAY_UNREACHABLE');
});

test('refused circuits: offline peer is one clear line', () => {
  const offline = circuitRefusedError(URL, PEER, RelayCloseCode.PEER_OFFLINE, 'peer offline');
  assert.equal(offline.code, 'PEER_OFFLINE');
  assert.equal(offline.message, `peer 1a2b…9f0c is not connected to relay ${URL}`);
  assert.equal(circuitRefusedError(URL, PEER, RelayCloseCode.TOO_MANY_CIRCUITS, '').code, 'RELAY_LIMIT');
  const perPair = circuitRefusedError(URL, PEER, RelayCloseCode.TOO_MANY_CIRCUITS_TO_PEER, '');
  assert.equal(perPair.code, 'RELAY_LIMIT');
  assert.match(perPair.message, /too many circuits to this peer/);
  const perAddress = circuitRefusedError(URL, PEER, RelayCloseCode.TOO_MANY_CIRCUITS_FROM_ADDRESS, '');
  assert.equal(perAddress.code, 'RELAY_LIMIT');
  assert.match(perAddress.message, /too many circuits to this peer from this address — other nodes/);
  assert.equal(
    circuitRefusedError(URL, PEER, 1000, 'bye').message,
    'peer 1a2b…9f0c closed the relay circuit: bye',
  );
});
