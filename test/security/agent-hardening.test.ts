/**
 * Hardening, round two (issue 26), one section per finding: each test shows the attack or the mistake
 * and that it no longer works. In memory or on loopback only, bounded in count and time.
 */
import { after, test } from 'node:test';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Approvals } from '../../src-main/pairing/approvals.js';
import { createApiHandler, type ApiDeps } from '../../src-main/app/agent-api.js';
import { parseHello } from '../../src-main/links/control-service.js';
import { uniquePeerName } from '../../src-main/state/peer-names.js';
import { pendingDisplayNames } from '../../src-main/state/pending.js';
import type { PeerRecord } from '../../src-main/state/settings.js';
import { paramsSchema, agentVocabulary } from '../helpers/agent-contract.js';
import { approveParams } from '../../src-main/cli/pair-commands.js';
import { isClawError } from '../../src-main/core/errors.js';
import { confusableKey, receivedNodeName, typedNameProblem } from '../../src-main/core/names.js';
import type { Link } from '../../src-main/transport/link.js';
import { memoryState } from '../helpers/memory-state.js';
import { tempDir } from '../helpers/temp-dir.js';
import { testIdentity } from '../helpers/identities.js';
import { echoServer, memoryExit, RawClient } from '../unit/forwards/fixtures.js';
import { composeAgent } from '../../src-main/app/compose-agent.js';
import { NodeState } from '../../src-main/state/node-state.js';
import { addPeer } from '../../src-main/app/peer-api.js';
import { addProxy } from '../../src-main/forwards/forward-api.js';
import { ForwardManager } from '../../src-main/forwards/forward-manager.js';
import { basicProxyPassword, proxyUrl, secretMatches } from '../../src-main/forwards/proxy-secret.js';
import {
  AuthMethod,
  encodeGreeting,
  encodeRequest,
  encodeUserPass,
  SocksCommand,
  SocksReply,
} from '../../src-main/protocol/socks5.js';
import { createCircuitPair } from '../helpers/circuit-pair.js';
import { duplexPair } from 'node:stream';
import { Emitter } from '../../src-main/core/emitter.js';
import type { Identity } from '../../src-main/crypto/identity.js';
import {
  CodeIssuer,
  PAIR_ATTEMPTS_OVER_RELAYS_PER_MINUTE,
  PAIR_ATTEMPTS_PER_SOURCE_PER_MINUTE,
  type PairingIssuerDeps as CodeIssuerDeps,
} from '../../src-main/pairing/pairing-issuer.js';
import { PairingProgress } from '../../src-main/pairing/pairing-progress.js';
import { encodePairHello, refusalError } from '../../src-main/protocol/pairing-wire.js';
import { acceptRelayCircuit, type RelayCircuitDeps } from '../../src-main/links/path-dialers.js';
import { MAX_PENDING_PER_SOURCE } from '../../src-main/state/pending.js';
import type { Circuit } from '../../src-main/transport/circuit.js';
import { streamCircuit } from '../../src-main/transport/stream-circuit.js';
import { forwardDeps } from '../helpers/saved-forwards.js';

const fp = (n: number) => n.toString(16).padStart(64, '0');

function approvalsWith(peers: PeerRecord[] = []) {
  const { state } = memoryState({ name: 'home', peers });
  const approvals = new Approvals({
    log: pino({ level: 'silent' }),
    state,
    notifier: { changed: () => undefined, notice: () => undefined },
  });
  return { approvals, state };
}

const codeRequest = (n: number) => ({
  fingerprint: fp(n),
  name: `n${n}`,
  via: 'code' as const,
  address: 'ws://relay.example',
  addresses: [],
});

// --- 1. A fingerprint given with an approval is checked, whatever the request's kind -----------------

test('approve ID --fingerprint of another node refuses a code-verified request', () => {
  const { approvals, state } = approvalsWith();
  const req = approvals.record(codeRequest(1));
  assert.throws(
    () => approvals.approve({ id: req.id, fingerprint: fp(2) }),
    (err) => isClawError(err, 'FINGERPRINT_MISMATCH') && /nothing was approved/.test(err.message),
  );
  assert.throws(
    () => approvals.approve({ latest: true, fingerprint: fp(2) }),
    (err) => isClawError(err, 'FINGERPRINT_MISMATCH'),
  );
  assert.equal(state.peers().length, 0, 'nothing was approved');
  // A fingerprint that is not one at all is refused as such, not ignored.
  assert.throws(
    () => approvals.approve({ latest: true, fingerprint: 'not-a-fingerprint' }),
    (err) => isClawError(err, 'BAD_FINGERPRINT'),
  );
  // The right one (any accepted spelling) approves; none at all still does for a code-verified one.
  approvals.approve({ latest: true, fingerprint: fp(1).toUpperCase() });
  assert.ok(state.peer(fp(1)), 'state.peer(fp(1))');
  approvals.record(codeRequest(3));
  approvals.approve({ latest: true });
  assert.ok(state.peer(fp(3)), 'state.peer(fp(3))');
});

test('the API refuses {latest: true, fingerprint} with a fingerprint that is not the request’s', async () => {
  const { approvals, state } = approvalsWith();
  approvals.record(codeRequest(1));
  const api = createApiHandler({ approvals, state } as unknown as ApiDeps);
  await assert.rejects(api.call('pending.approve', { latest: true, fingerprint: fp(2) }), (err) =>
    isClawError(err, 'FINGERPRINT_MISMATCH'),
  );
  const id = approvals.list()[0]!.id;
  await assert.rejects(api.call('pending.approve', { id, fingerprint: fp(2) }), (err) =>
    isClawError(err, 'FINGERPRINT_MISMATCH'),
  );
  assert.equal(state.peers().length, 0);
});

test('the CLI passes --fingerprint on in every form of approve', () => {
  assert.deepEqual(approveParams('ab12', { fingerprint: 'FP' }), { id: 'ab12', fingerprint: 'FP' });
  assert.deepEqual(approveParams(undefined, { latest: true, fingerprint: 'FP', allow: 'terminal' }), {
    latest: true,
    fingerprint: 'FP',
    allow: ['terminal'],
  });
  assert.deepEqual(approveParams('ab12', {}), { id: 'ab12' });
});

// --- 2. Names from other nodes: one normal form, look-alikes shown with their fingerprint ------------

/** Names that showed as plain `bob` next to the real peer `bob`, without its fingerprint. */
const LOOK_ALIKES = [
  'bob\u200b', // zero-width space
  'bob\u200f', // right-to-left mark
  '\u061cbob', // Arabic letter mark
  'bob\ufeff', // byte-order mark
  '\u00adbob', // soft hyphen
  'b\u034fob', // combining grapheme joiner
  'b\u043eb', // Cyrillic о
  ' bob ',
  'ｂｏｂ', // full-width
  'BOB',
];

const realBob: PeerRecord = {
  fingerprint: fp(0xb0b),
  name: 'bob',
  allow: [],
  addresses: [],
  addedAt: '2026-11-21T00:00:00.000Z',
};

test('a look-alike name is shown with its fingerprint suffix, in `pending` and the window’s list', async () => {
  for (const [i, name] of LOOK_ALIKES.entries()) {
    const { approvals, state } = approvalsWith([realBob]);
    const stranger = fp(0x100 + i);
    const hello = parseHello({ v: 1, name, version: '1', addresses: [], homeRelay: null });
    approvals.onUnknownHello({ peerId: stranger, remote: '10.0.0.9:7475' } as Link, hello);
    const [req] = approvals.list();
    assert.ok(req, JSON.stringify(name));
    assert.doesNotMatch(
      req.name,
      /[\p{Cf}\u034f]|^\s|\s$/u,
      `${JSON.stringify(name)} is kept in normal form`,
    );
    const shown = pendingDisplayNames(approvals.list(), state.peers()).get(req.id);
    assert.equal(shown, `${req.name} (${stranger.slice(0, 8)})`, JSON.stringify(name));
    // What `pending` and the window show comes from the API's pending.list.
    const api = createApiHandler({ approvals, state } as unknown as ApiDeps);
    const [info] = await api.call('pending.list', {});
    assert.equal(info?.displayName, shown);
  }
});

test('a look-alike of a peer’s name becomes a peer under another name, never a second `bob`', () => {
  assert.equal(uniquePeerName([realBob], 'b\u043eb', fp(1)), 'b\u043eb-2');
  assert.equal(uniquePeerName([realBob], 'ΒΟΒ', fp(1)), 'ΒΟΒ-2');
  assert.equal(uniquePeerName([realBob], 'alice', fp(1)), 'alice');
});

test('one normal form for names typed here and names received', () => {
  assert.equal(receivedNodeName('bob\u200b'), 'bob');
  assert.equal(receivedNodeName('ｂｏｂ'), 'bob');
  assert.equal(receivedNodeName('\u200b\u200f'), 'unnamed', 'nothing visible left');
  // NFKC can make a name longer than fits: it is shortened by whole characters.
  assert.ok(
    Buffer.byteLength(receivedNodeName('\ufdfa'.repeat(21))) <= 64,
    "Buffer.byteLength(receivedNodeName('\\ufdfa'.repeat(21))) <= 64",
  );
  // Typed here: invisible characters and padding are refused as before; NFKC is applied.
  assert.match(typedNameProblem('b\u034fob') ?? '', /invisible/);
  assert.match(typedNameProblem('bob\u061c') ?? '', /invisible/);
  const rename = paramsSchema('peers.rename').parse({ peer: 'x', name: 'ｂｏｂ' });
  assert.equal(rename.name, 'bob');
  // The same-name key: case, invisible characters, spacing and Cyrillic/Greek look-alikes.
  for (const name of LOOK_ALIKES) assert.equal(confusableKey(name), 'bob', JSON.stringify(name));
  assert.notEqual(confusableKey('bobby'), 'bob');
  assert.equal(confusableKey('ΗΑΝΝΑ'), 'hanna', 'a Greek capital Eta looks like H');
});

// --- 3. Pairing attempts: per source, per IPv6 /64 on the LAN, and node-wide over relays -------------

/** A pairing issuer with no relay and no code open: every hello names a junk tag. */
function junkIssuer() {
  const log = pino({ level: 'silent' });
  return new CodeIssuer({
    identity: { fingerprint: fp(0xa), certDer: new Uint8Array() } as unknown as Identity,
    log,
    state: { get: () => ({ name: 'home' }) } as unknown as CodeIssuerDeps['state'],
    notifier: { changed: () => undefined, notice: () => undefined },
    relays: { clients: () => [], saved: () => [] },
    lan: { lanPairingAvailable: () => true, listenAddress: '0.0.0.0:7475', setTags: () => undefined },
    approvals: { record: () => assert.fail('no request'), withdraw: () => undefined, events: new Emitter() },
    progress: new PairingProgress(fp(0xa)),
  } as unknown as CodeIssuerDeps);
}

/** What the issuer answers a junk hello from `circuit`: `code-invalid` or `rate-limited`. */
async function answerTo(circuit: Circuit): Promise<string> {
  const answer = await new Promise<Uint8Array>((resolve, reject) => {
    circuit.onFrame(resolve);
    circuit.onClose(() => reject(new Error('closed without an answer')));
    circuit.send(encodePairHello('ZZZZ'));
  });
  circuit.close();
  const err = refusalError(answer);
  return err?.code === 'BAD_PAIR_CODE'
    ? 'code-invalid'
    : /retry in \d+ s/.test(err?.message ?? '')
      ? 'rate-limited'
      : String(err);
}

/** One junk hello over a relay circuit from node `source`. */
async function overRelay(issuer: CodeIssuer, source: string): Promise<string> {
  const { initiator, responder } = createCircuitPair({ initiatorId: source });
  const host = { pairing: issuer, log: pino({ level: 'silent' }) } as unknown as RelayCircuitDeps;
  const accepted = acceptRelayCircuit(host, responder);
  const outcome = await answerTo(initiator);
  await accepted;
  return outcome;
}

/** One junk hello over a LAN link from `remote` (`[v6]:port` or `v4:port`). */
async function overLan(issuer: CodeIssuer, remote: string): Promise<string> {
  const [ours, theirs] = duplexPair();
  const link = { peerId: fp(0xc), remote } as Link;
  const accepted = issuer.acceptLanPairing(ours, link, { addresses: [] });
  const outcome = await answerTo(streamCircuit(theirs, { peerId: fp(0xa), remote: 'x', initiator: true }));
  theirs.destroy();
  await accepted;
  return outcome;
}

const tally = (outcomes: string[]) =>
  outcomes.reduce<Record<string, number>>((t, o) => ({ ...t, [o]: (t[o] ?? 0) + 1 }), {});

test('junk pairing hellos from many fresh identities over relays meet a node-wide cap', async () => {
  const issuer = junkIssuer();
  const extra = 10;
  // Each identity stays under its own limit; together they are over the node-wide one.
  const outcomes: string[] = [];
  for (let i = 0; i < PAIR_ATTEMPTS_OVER_RELAYS_PER_MINUTE + extra; i++) {
    outcomes.push(await overRelay(issuer, fp(0x1000 + i)));
  }
  assert.deepEqual(tally(outcomes), {
    'code-invalid': PAIR_ATTEMPTS_OVER_RELAYS_PER_MINUTE,
    'rate-limited': extra,
  });
  // The LAN has budgets of its own, per address.
  assert.equal(await overLan(issuer, '10.0.0.7:40000'), 'code-invalid');
  issuer.stop();
});

test('one identity over its own limit does not use up the node-wide budget', async () => {
  const issuer = junkIssuer();
  const loud = fp(0x2000);
  const outcomes: string[] = [];
  for (let i = 0; i < 3 * PAIR_ATTEMPTS_PER_SOURCE_PER_MINUTE; i++)
    outcomes.push(await overRelay(issuer, loud));
  assert.deepEqual(tally(outcomes), {
    'code-invalid': PAIR_ATTEMPTS_PER_SOURCE_PER_MINUTE,
    'rate-limited': 2 * PAIR_ATTEMPTS_PER_SOURCE_PER_MINUTE,
  });
  const others: string[] = [];
  for (let i = 0; i < PAIR_ATTEMPTS_OVER_RELAYS_PER_MINUTE - PAIR_ATTEMPTS_PER_SOURCE_PER_MINUTE; i++) {
    others.push(await overRelay(issuer, fp(0x3000 + i)));
  }
  assert.deepEqual(tally(others), { 'code-invalid': others.length });
  issuer.stop();
});

test('on the LAN, pairing attempts are counted per IPv4 address and per IPv6 /64', async () => {
  const issuer = junkIssuer();
  const outcomes: string[] = [];
  // A fresh address of one /64 for each attempt (privacy addresses) is still one source.
  for (let i = 1; i <= PAIR_ATTEMPTS_PER_SOURCE_PER_MINUTE + 2; i++) {
    outcomes.push(await overLan(issuer, `[2001:db8:0:1::${i.toString(16)}]:40000`));
  }
  assert.deepEqual(tally(outcomes), {
    'code-invalid': PAIR_ATTEMPTS_PER_SOURCE_PER_MINUTE,
    'rate-limited': 2,
  });
  assert.equal(await overLan(issuer, '[2001:db8:0:2::1]:40000'), 'code-invalid', 'another /64');
  assert.equal(await overLan(issuer, '[::ffff:10.0.0.8]:40000'), 'code-invalid');
  issuer.stop();
});

test('fingerprint-only requests are capped per IPv6 /64, not per address', () => {
  const { approvals } = approvalsWith();
  const fromBlock = (i: number) => ({
    fingerprint: fp(0x4000 + i),
    name: `n${i}`,
    via: 'fingerprint' as const,
    address: `[2001:db8:0:1::${i}]:7475`,
    addresses: [],
  });
  for (let i = 1; i <= MAX_PENDING_PER_SOURCE; i++) approvals.record(fromBlock(i));
  assert.throws(
    () => approvals.record(fromBlock(MAX_PENDING_PER_SOURCE + 1)),
    (err) => isClawError(err, 'RELAY_LIMIT') && /2001:db8:0:1::\/64/.test(err.message),
  );
});

// --- 4. Another local user and the owner's proxies: a per-proxy secret --------------------------------

const echo = await echoServer();
const cleanups: (() => unknown)[] = [];
after(async () => {
  echo.server.close();
  for (const c of cleanups.reverse()) await c();
});

/** Node "a" with peer "b" and a forward manager whose connections exit through an in-memory "b". */
async function proxyNode() {
  const home = tempDir('cb-proxy-auth-');
  const agent = composeAgent({
    identity: await testIdentity('auth-a'),
    state: NodeState.open(home, undefined, agentVocabulary),
    logger: pino({ level: 'silent' }),
  });
  agent.links.start();
  const exit = memoryExit();
  const manager = new ForwardManager(forwardDeps(agent), exit.dialer);
  cleanups.push(
    () => agent.links.stop(),
    () => manager.stop(),
    exit.close,
  );
  addPeer(agent, { fingerprint: (await testIdentity('auth-b')).fingerprint, name: 'b' });
  const host = { peerEntries: () => agent.links.peerEntries(), forwards: manager };
  return { home, agent, manager, host };
}

const portOf = (local: string) => Number(local.split(':').pop());

/**
 * A SOCKS5 client's try to reach the echo server: `auth` undefined offers no authentication, else
 * username/password. Answers `connected` (and the echo came back), or where it was refused.
 */
async function socksTry(port: number, auth?: { user: string; password: string }): Promise<string> {
  const client = await RawClient.open(port);
  try {
    client.write(encodeGreeting(auth ? [AuthMethod.UserPassword] : [AuthMethod.None]));
    const [, method] = await client.read(2);
    if (method === AuthMethod.NoAcceptable) return 'no acceptable method';
    if (auth) {
      client.write(encodeUserPass(auth.user, auth.password));
      const [, status] = await client.read(2);
      if (status !== 0) return 'password refused';
    }
    client.write(
      encodeRequest({
        command: SocksCommand.Connect,
        address: { type: 'ipv4', host: '127.0.0.1', port: echo.port },
      }),
    );
    const [, reply] = await client.read(10);
    if (reply !== SocksReply.Succeeded) return `reply ${reply}`;
    client.write('ping');
    return (await client.read(4)).toString() === 'ping' ? 'connected' : 'no echo';
  } catch (err) {
    return `closed: ${(err as Error).message}`;
  } finally {
    client.socket.destroy();
  }
}

/** An HTTP CONNECT to the echo server through the proxy on `port`: the status line's code. */
async function httpConnect(port: number, authorization?: string): Promise<number> {
  const client = await RawClient.open(port);
  try {
    const target = `127.0.0.1:${echo.port}`;
    client.write(
      `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${authorization ? `Proxy-Authorization: ${authorization}\r\n` : ''}\r\n`,
    );
    const head = (await client.read(12)).toString('latin1');
    return Number(head.slice(9, 12));
  } finally {
    client.socket.destroy();
  }
}

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

test('another local user cannot use the owner’s SOCKS proxy without its secret', async () => {
  const { host, home } = await proxyNode();
  const proxy = await addProxy(host, { kind: 'socks', local: '127.0.0.1:0', via: 'b' });
  assert.ok(proxy.secret, 'a new proxy has a secret by default');
  const port = portOf(proxy.local);
  assert.equal(await socksTry(port), 'no acceptable method');
  assert.equal(await socksTry(port, { user: 'b', password: 'x' }), 'password refused');
  assert.equal(await socksTry(port, { user: '', password: '' }), 'password refused');
  // The owner: the secret as the password, the exit peer (or nothing, for --via) as the user name.
  assert.equal(await socksTry(port, { user: 'b', password: proxy.secret }), 'connected');
  assert.equal(await socksTry(port, { user: '', password: proxy.secret }), 'connected');
  assert.equal(proxy.url, `socks5h://b:${proxy.secret}@${proxy.local}`);
  // Kept in the saved record, in a file only the owner reads.
  const saved = JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')) as {
    forwards: { secret?: string }[];
  };
  assert.equal(saved.forwards[0]?.secret, proxy.secret);
  if (process.platform !== 'win32') assert.equal(statSync(join(home, 'config.json')).mode & 0o077, 0);
});

test('a SOCKS proxy without an exit of its own: the user name picks the peer, the password is the secret', async () => {
  const { host } = await proxyNode();
  const proxy = await addProxy(host, { kind: 'socks', local: '127.0.0.1:0' });
  const port = portOf(proxy.local);
  assert.equal(await socksTry(port, { user: 'b', password: 'x' }), 'password refused');
  assert.equal(await socksTry(port, { user: 'b', password: proxy.secret! }), 'connected');
  assert.equal(proxy.url, `socks5h://PEER:${proxy.secret}@${proxy.local}`);
});

test('the HTTP proxy answers 407 without its secret in Proxy-Authorization', async () => {
  const { host } = await proxyNode();
  const proxy = await addProxy(host, { kind: 'http', local: '127.0.0.1:0', via: 'b' });
  const port = portOf(proxy.local);
  assert.equal(await httpConnect(port), 407);
  assert.equal(await httpConnect(port, basic('b', 'wrong')), 407);
  assert.equal(await httpConnect(port, 'Bearer x'), 407);
  assert.equal(await httpConnect(port, basic('anyone', proxy.secret!)), 200);
  assert.equal(proxy.url, `http://b:${proxy.secret}@${proxy.local}`);
});

test('a proxy added with auth: false (browsers) takes any local client, and says so', async () => {
  const { host, manager } = await proxyNode();
  const proxy = await addProxy(host, { kind: 'socks', local: '127.0.0.1:0', via: 'b', auth: false });
  assert.equal(proxy.secret, null);
  assert.equal(proxy.url, `socks5h://${proxy.local}`);
  assert.equal(await socksTry(portOf(proxy.local)), 'connected');
  assert.equal(manager.proxies()[0]?.secret, null);
});

test('proxy URLs and Basic passwords at their edges', () => {
  assert.equal(
    proxyUrl('socks', '[::1]:1080', 'b', 'S'.repeat(32)),
    `socks5h://b:${'S'.repeat(32)}@[::1]:1080`,
  );
  assert.equal(proxyUrl('http', '0.0.0.0:3128', 'my peer', 'abc'), 'http://my%20peer:abc@127.0.0.1:3128');
  assert.equal(proxyUrl('socks', '127.0.0.1:1081', undefined, undefined), 'socks5h://PEER:x@127.0.0.1:1081');
  const header = (value: string): [string, string][] => [['Proxy-Authorization', value]];
  assert.equal(basicProxyPassword(header(basic('u', 'p:q'))), 'p:q');
  assert.equal(basicProxyPassword(header(`Basic ${Buffer.from('nocolon').toString('base64')}`)), undefined);
  assert.equal(basicProxyPassword([]), undefined);
  assert.equal(secretMatches('a', 'a'.repeat(32)), false);
});
