/**
 * Rendezvous aliases at the relay (pairing by code): a node listening on an alias receives circuits
 * opened to it; aliases end with the listener; OPENs to aliases are rate-limited per node.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { isClawError } from '../../src-main/core/errors.js';
import type { RelayServer } from '../../src-main/relay/server.js';
import { RENDEZVOUS_OPENS_PER_MINUTE } from '../../src-main/relay/router.js';
import { testIdentity } from '../helpers/identities.js';
import {
  connectedClient,
  nextFrame,
  nextIncoming,
  startTestRelay,
  within,
} from '../helpers/relay-harness.js';
import { until } from '../helpers/wait.js';

let relay: RelayServer;
before(async () => {
  relay = await startTestRelay();
});
after(() => relay.close());

const alias = (tag: string) => createHash('sha256').update(`test alias ${tag}`).digest('hex');

test('an OPEN to a listened alias reaches the listener, and stops when it unlistens', async () => {
  const issuer = await connectedClient(relay.url, await testIdentity('rdv-issuer'));
  const joiner = await connectedClient(relay.url, await testIdentity('rdv-joiner'));
  issuer.listenAlias(alias('AAAA'));
  const incoming = nextIncoming(issuer);
  // LISTEN is fire-and-forget: retry the OPEN until the relay has processed it.
  let circuit: Awaited<ReturnType<typeof joiner.openCircuit>> | undefined;
  await until('alias routed', async () => {
    circuit = await joiner.openCircuit(alias('AAAA'), 2000).catch(() => undefined);
    return circuit !== undefined;
  });
  const atIssuer = await within('incoming circuit', incoming);
  assert.equal(atIssuer.claimedPeerId, joiner.nodeId, 'the issuer learns who joined');
  circuit!.send(Buffer.from('hello'));
  assert.equal(Buffer.from(await within('frame', nextFrame(atIssuer))).toString(), 'hello');
  circuit!.close();

  issuer.unlistenAlias(alias('AAAA'));
  await until('alias gone', async () =>
    joiner.openCircuit(alias('AAAA'), 2000).then(
      (c) => (c.close(), false),
      (err) => isClawError(err, 'PEER_OFFLINE'),
    ),
  );
  issuer.stop();
  joiner.stop();
});

test('a node may OPEN only a few aliases per minute; other nodes are unaffected', async () => {
  const issuer = await connectedClient(relay.url, await testIdentity('rdv-issuer2'));
  const flooder = await connectedClient(relay.url, await testIdentity('rdv-flooder'));
  const other = await connectedClient(relay.url, await testIdentity('rdv-other'));
  issuer.listenAlias(alias('BBBB'));
  issuer.on('incoming', (c) => c.close());
  await until('alias registered', async () =>
    other
      .openCircuit(alias('BBBB'), 2000)
      .then((c) => (c.close(), true))
      .catch(() => false),
  );
  const outcomes: string[] = [];
  for (let i = 0; i < RENDEZVOUS_OPENS_PER_MINUTE + 3; i++) {
    outcomes.push(
      await flooder.openCircuit(alias('BBBB'), 2000).then(
        (c) => (c.close(), 'ok'),
        (err: Error) => err.message,
      ),
    );
  }
  assert.equal(outcomes.filter((o) => o === 'ok').length, RENDEZVOUS_OPENS_PER_MINUTE);
  assert.match(outcomes.at(-1)!, /too many pairing attempts; wait a minute/);
  // Someone else still gets through.
  const c = await other.openCircuit(alias('BBBB'), 2000);
  c.close();
  for (const x of [issuer, flooder, other]) x.stop();
});
