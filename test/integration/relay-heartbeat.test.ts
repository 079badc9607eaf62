/**
 * The relay's heartbeat (ADR 0054): a connection that pings on its own, as our clients do, is never
 * pinged by the relay; a quiet one is, and stays connected while it answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { startTestRelay, within } from '../helpers/relay-harness.js';

/** The relay's ping interval here, in ms: short, so the test sees several. */
const INTERVAL_MS = 200;
/** How long each connection is watched, in ms: several intervals. */
const WATCH_MS = 2_000;

function open(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  ws.on('error', () => undefined);
  return within('a connection to the relay', new Promise((resolve) => ws.once('open', () => resolve(ws))));
}

test('a connection that pings on its own gets no pings from the relay; a quiet one does', async () => {
  // authTimeoutMs long enough that neither unauthenticated connection is closed while watched.
  const relay = await startTestRelay({ limits: { pingIntervalMs: INTERVAL_MS, authTimeoutMs: 60_000 } });
  try {
    const talker = await open(relay.url);
    const quiet = await open(relay.url);
    let talkerPinged = 0;
    let quietPinged = 0;
    talker.on('ping', () => talkerPinged++);
    quiet.on('ping', () => quietPinged++);
    const pinger = setInterval(() => talker.ping(), INTERVAL_MS / 2);
    await new Promise((r) => setTimeout(r, WATCH_MS));
    clearInterval(pinger);
    assert.equal(talkerPinged, 0, 'the relay pinged a connection that pings every half interval');
    assert.ok(quietPinged >= 2, `the quiet connection was pinged ${quietPinged} times`);
    assert.equal(quiet.readyState, WebSocket.OPEN, 'the quiet connection answers, so it stays');
    talker.close();
    quiet.close();
  } finally {
    await relay.close();
  }
});
