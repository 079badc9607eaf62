/**
 * When a node tries to move a relay link onto a splice, and when it leaves it on its circuit
 * (links/relay-splice.ts): only the circuit's opener starts, only when the peer's hello lists `splice`
 * and the relay took the offer; a peer's request with a bad token or on the wrong link is refused; a
 * relay where a splice failed is left alone for SPLICE_RETRY_AFTER_MS.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Emitter } from '../../../src-main/core/emitter.js';
import type { RefusalCode } from '../../../src-main/core/refusal-codes.js';
import type { Mux } from '../../../src-main/mux/mux.js';
import type { StreamRequest } from '../../../src-main/mux/types.js';
import type { Link } from '../../../src-main/transport/link.js';
import { UpgradableLink } from '../../../src-main/transport/upgradable-link.js';
import {
  FEATURE_SPLICE,
  RelaySplicer,
  SPLICE_RETRY_AFTER_MS,
  SPLICE_SERVICE,
} from '../../../src-main/links/relay-splice.js';
import { testIdentity } from '../../helpers/identities.js';
import { sleep, until } from '../../helpers/wait.js';

const PEER = 'ab'.repeat(32);

/** A relay link's first transport: records what it was asked to offer the relay. */
function circuitLink(remote: string, initiator: boolean, relayTakesOffers = true) {
  const events = new Emitter<{ frame: [Uint8Array]; drain: []; close: [Error | undefined] }>();
  const offers: string[] = [];
  const link: Link & { offerSplice(token: Uint8Array): 'line' | undefined } = {
    peerId: PEER,
    path: 'relay',
    remote,
    initiator,
    closed: false,
    send: () => true,
    onFrame: (l) => events.on('frame', l),
    onDrain: (l) => events.on('drain', l),
    onClose: (l) => events.on('close', l),
    close: () => undefined,
    offerSplice(token) {
      offers.push(Buffer.from(token).toString('hex'));
      return relayTakesOffers ? 'line' : undefined;
    },
  };
  return { link: new UpgradableLink(link), offers };
}

/** A mux whose `open` records the service and args and answers as told. */
function fakeMux(answer: 'accept' | 'refuse' = 'accept') {
  const opened: { service: string; args: unknown }[] = [];
  const mux = {
    open(service: string, args: unknown) {
      opened.push({ service, args });
      if (answer === 'refuse') return Promise.reject(new Error('refused'));
      return Promise.resolve({ destroy: () => undefined });
    },
  } as unknown as Mux;
  return { mux, opened };
}

/** A URL whose port refuses connections (a server that was opened and closed). */
async function deadRelayUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return `ws://127.0.0.1:${port}`;
}

async function splicer(now = () => Date.now(), logged: string[] = []) {
  const identity = await testIdentity('splicer');
  // What it logs, for a test that waits for a failure the splicer only logs.
  const log = pino({ level: 'info' }, { write: (line: string) => void logged.push(line) });
  return new RelaySplicer({ identity, log, holdRelay: () => () => undefined }, now);
}

test('the opener starts only when the peer lists splice and the relay takes the offer', async () => {
  const s = await splicer();
  const noFeature = circuitLink('ws://127.0.0.1:1', true);
  const m1 = fakeMux();
  s.onPeerHello(noFeature.link, m1.mux, undefined);
  s.onPeerHello(noFeature.link, m1.mux, ['something-else']);
  const notOpener = circuitLink('ws://127.0.0.1:1', false);
  s.onPeerHello(notOpener.link, m1.mux, [FEATURE_SPLICE]);
  const relayCannot = circuitLink('ws://127.0.0.1:1', true, false);
  s.onPeerHello(relayCannot.link, m1.mux, [FEATURE_SPLICE]);
  await until('the relay asked', () => relayCannot.offers.length === 1);
  assert.deepEqual(m1.opened, [], 'no splice stream was opened');
  assert.equal(relayCannot.offers.length, 1, 'the relay was asked, and said no');
  assert.equal(noFeature.offers.length + notOpener.offers.length, 0);
});

test('the opener offers a fresh token to the relay and sends the same one to the peer', async () => {
  const s = await splicer();
  const { link, offers } = circuitLink(await deadRelayUrl(), true);
  const m = fakeMux();
  s.onPeerHello(link, m.mux, [FEATURE_SPLICE]);
  await until('the splice stream opened', () => m.opened.length === 1);
  assert.equal(offers.length, 1);
  assert.match(offers[0]!, /^[0-9a-f]{64}$/);
  assert.deepEqual(m.opened, [{ service: SPLICE_SERVICE, args: { token: offers[0] } }]);
  assert.equal(link.upgraded, false, 'the splice could not be joined: the link stays on its circuit');
  assert.equal(link.closed, false);
});

test('a relay where a splice failed is left alone for a while, then tried again', async () => {
  let now = 1_000_000;
  const logged: string[] = [];
  const s = await splicer(() => now, logged);
  const url = await deadRelayUrl();
  const first = circuitLink(url, true);
  s.onPeerHello(first.link, fakeMux().mux, [FEATURE_SPLICE]);
  await until('the splice to the dead relay to fail', () =>
    logged.some((l) => l.includes('relay link stays on its circuit')),
  );
  assert.equal(first.offers.length, 1);
  const second = circuitLink(url, true);
  const m2 = fakeMux();
  s.onPeerHello(second.link, m2.mux, [FEATURE_SPLICE]);
  await sleep(50, 'resting: no offer may come within this window');
  assert.deepEqual(m2.opened, [], 'resting');
  assert.equal(second.offers.length, 0);
  const other = circuitLink(await deadRelayUrl(), true);
  const m3 = fakeMux();
  s.onPeerHello(other.link, m3.mux, [FEATURE_SPLICE]);
  await until('another relay tried', () => m3.opened.length === 1);
  assert.equal(m3.opened.length, 1, 'another relay is still tried');
  now += SPLICE_RETRY_AFTER_MS;
  const later = circuitLink(url, true);
  const m4 = fakeMux();
  s.onPeerHello(later.link, m4.mux, [FEATURE_SPLICE]);
  await until('tried again after the rest', () => m4.opened.length === 1);
  assert.equal(m4.opened.length, 1, 'tried again after the rest');
});

/** A splice request as the mux hands it over; records the answer. */
function request(args: unknown) {
  const answer: { accepted: boolean; refused?: { code: RefusalCode; reason: string } } = { accepted: false };
  const req: StreamRequest = {
    service: SPLICE_SERVICE,
    args,
    accept() {
      answer.accepted = true;
      return { destroy: () => undefined } as unknown as ReturnType<StreamRequest['accept']>;
    },
    reject(code, reason) {
      answer.refused = { code, reason };
    },
    signal: new AbortController().signal,
  };
  return { req, answer };
}

test('a peer asking to splice: a bad token, the wrong link or a relay without splices is refused', async () => {
  const s = await splicer();
  const accepting = circuitLink(await deadRelayUrl(), false);
  for (const args of [null, {}, { token: 'zz' }, { token: 'AB'.repeat(32) }, { token: 1 }]) {
    const { req, answer } = request(args);
    s.accept(accepting.link, req);
    assert.equal(answer.refused?.code, 'BAD_REQUEST', JSON.stringify(args));
  }
  const token = 'cd'.repeat(32);
  const opener = circuitLink('ws://127.0.0.1:1', true);
  const wrongSide = request({ token });
  s.accept(opener.link, wrongSide.req);
  assert.equal(wrongSide.answer.refused?.code, 'BAD_REQUEST');
  const noRelay = circuitLink('ws://127.0.0.1:1', false, false);
  const refused = request({ token });
  s.accept(noRelay.link, refused.req);
  assert.equal(refused.answer.refused?.code, 'SERVICE_FAILED');
  const ok = request({ token });
  s.accept(accepting.link, ok.req);
  assert.equal(ok.answer.accepted, true);
  assert.deepEqual(accepting.offers, [token], 'the relay was told this end agrees to that token');
});
