/**
 * LISTEN by tag (docs/relay-protocol.md §Rendezvous): the relay derives the rendezvous alias from a
 * pairing code's tag itself, so a listener cannot pick the alias. A relay run with
 * `untaggedListen: false` (`clawbridge relay --tagged-listen-only`) refuses LISTEN by raw alias, and
 * then even the ID of a node it has never seen cannot be squatted — the gap that
 * relay-alias-squatting.test.ts shows a default relay still has (its third test).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { isClawError } from '../../src-main/core/errors.js';
import { encodeRelayFrame, relayFeatures } from '../../src-main/protocol/relay-frames.js';
import { rendezvousAlias } from '../../src-main/protocol/rendezvous.js';
import type { RelayServer } from '../../src-main/relay/server.js';
import { RelayClient } from '../../src-main/transport/relay-client.js';
import { testIdentity } from '../helpers/identities.js';
import {
  connectedClient,
  nextIncoming,
  RawClient,
  startTestRelay,
  within,
  WAIT_MS,
} from '../helpers/relay-harness.js';
import { until } from '../helpers/wait.js';

let strict: RelayServer;
let joiner: RelayClient;
before(async () => {
  strict = await startTestRelay({ untaggedListen: false });
  joiner = await connectedClient(strict.url, await testIdentity('tag-joiner'));
});
after(async () => {
  joiner.stop();
  await strict.close();
});

async function dropped(relay: RelayServer, reason: string): Promise<number> {
  const m = new RegExp(`frames_dropped_total\\{reason="${reason}"\\} (\\d+)`).exec(await relay.metricsText());
  return m ? Number(m[1]) : 0;
}

/** Retries an OPEN to `target` until it opens (LISTEN has no answer). */
async function opens(target: string): Promise<void> {
  await until(`an OPEN to ${target.slice(0, 8)} to open`, async () => {
    const c = await joiner.openCircuit(target, 1000).catch(() => undefined);
    c?.close();
    return c !== undefined;
  });
}

test('the relay announces LISTEN_TAG, and an issuer listening by tag is reached under the derived alias', async () => {
  const raw = await RawClient.connect(strict.url);
  const challenge = await raw.next();
  raw.ws.close();
  assert.equal(challenge.type, 'challenge');
  assert.ok(
    relayFeatures((challenge as { relayInfo: string }).relayInfo).includes('listen-tag'),
    "relayFeatures((challenge as { relayInfo: string }).relayInfo).includes('listen-tag')",
  );

  const issuer = await connectedClient(strict.url, await testIdentity('tag-issuer'));
  try {
    const incoming = nextIncoming(issuer);
    issuer.listenTag('K7QX');
    await opens(rendezvousAlias('K7QX'));
    assert.equal((await within('incoming circuit', incoming)).claimedPeerId, joiner.nodeId);
  } finally {
    issuer.stop();
  }
});

test('a relay that takes only tags refuses a LISTEN on the ID of a node it has never seen', async () => {
  const squatter = await RawClient.connect(strict.url);
  await squatter.authenticate(await testIdentity('tag-squatter'));
  assert.equal((await squatter.next()).type, 'auth-ok');
  const victim = await testIdentity('tag-never-seen');
  const before = await dropped(strict, 'alias_untagged');
  squatter.send(encodeRelayFrame({ type: 'listen', alias: victim.fingerprint, listen: true }));
  // LISTEN_TAG after it: once its alias routes, the relay has handled the LISTEN before it.
  squatter.send(encodeRelayFrame({ type: 'listen-tag', tag: 'PROBE', listen: true }));
  await opens(rendezvousAlias('PROBE'));
  assert.equal(await dropped(strict, 'alias_untagged'), before + 1);
  const incomings = () => squatter.frames.filter((f) => f.type === 'incoming').length;
  await until('the probe circuit at the squatter', () => incomings() === 1);
  await assert.rejects(joiner.openCircuit(victim.fingerprint, WAIT_MS), (err) =>
    isClawError(err, 'PEER_OFFLINE'),
  );
  assert.equal(incomings(), 1, 'the OPEN to the never-seen ID did not reach the squatter');
  squatter.ws.close();
});

test('listensHeld: once it says true, the first OPEN finds a tag asked for before the client connected', async () => {
  const issuer = new RelayClient({
    url: strict.url,
    identity: await testIdentity('tag-early'),
    retryDelayMs: () => 50,
  });
  try {
    const incoming = nextIncoming(issuer);
    issuer.start();
    // Asked for while the client is still connecting: sent after AUTH_OK, with nothing to tell when.
    issuer.listenTag('EARLY');
    assert.equal(await issuer.listensHeld(WAIT_MS), true);
    const circuit = await joiner.openCircuit(rendezvousAlias('EARLY'), WAIT_MS);
    circuit.close();
    assert.equal((await within('incoming circuit', incoming)).claimedPeerId, joiner.nodeId);
  } finally {
    issuer.stop();
  }
});

test('listensHeld says false within its bound when the relay cannot be reached', async () => {
  const gone = await startTestRelay();
  const url = gone.url;
  await gone.close();
  const issuer = new RelayClient({
    url,
    identity: await testIdentity('tag-unreached'),
    retryDelayMs: () => 50,
  });
  try {
    issuer.start();
    issuer.listenTag('LATER');
    const started = Date.now();
    assert.equal(await issuer.listensHeld(300), false);
    assert.ok(Date.now() - started < WAIT_MS, 'it gave up at its bound, not later');
  } finally {
    issuer.stop();
  }
});
