/**
 * Reach across relays (docs/relay-protocol.md §Home relays): two relays on loopback, node A homed on
 * relay 1 (wss, pinned), node B on relay 2 (ws), no direct path. They pair by invite, link through a
 * relay, run a terminal command; B never saves relay 1; each relay restarts in turn and the link comes
 * back through the other node's home relay; an on-demand relay left idle is dropped.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PairNewResult, PeerInfo, StatusResult } from '../../src-main/api/contract.js';
import { RELAY_IDLE_ENV } from '../../src-main/relay-clients/relay-set.js';
import {
  agentCall,
  cli,
  cliJson,
  peerOf,
  startProcess,
  stopAll,
  tempHome,
  type Proc,
  nodeId,
  startAgent,
  type AgentOptions,
} from '../helpers/processes.js';
import { until, sleep } from '../helpers/wait.js';

after(stopAll);

/** On-demand relays idle this long are dropped here, in ms (60 s by default: too slow for a test). */
const IDLE_MS = 1_500;

interface TestRelay {
  proc: Proc;
  url: string;
  port: number;
  fingerprint: string | undefined;
}

/** A relay process; with the same home and port it comes back with the same certificate and URL. */
async function startTestRelay(home: string, tls: boolean, port = 0): Promise<TestRelay> {
  const proc = startProcess([
    'relay',
    '--listen',
    `127.0.0.1:${port}`,
    '--home',
    home,
    ...(tls ? [] : ['--no-tls']),
  ]);
  const m = await proc.waitForLine(
    /^relay listening on (wss?:\/\/127\.0\.0\.1:(\d+))(?: fingerprint ([0-9a-f]{64}))?$/m,
  );
  return { proc, url: m[1]!, port: Number(m[2]), fingerprint: m[3] };
}

/** An agent named `name` with no direct path, on the relay flags `relay`, its web UI on. */
function agentOn(name: string, relay: string[]): AgentOptions {
  return { name, listen: false, ui: true, args: relay, env: { [RELAY_IDLE_ENV]: String(IDLE_MS) } };
}

// Over the control socket, as `status --json` asks it: the waits below poll it, and a CLI process a poll
// cost ~0.4 s of CPU (docs/testing.md §The slowest files, and keeping the suite fast).
const status = (home: string): Promise<StatusResult> => agentCall(home, 'status', {});
const savedConfig = (home: string) =>
  JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')) as {
    relays: { url: string }[];
    peers: { name: string; homeRelay?: { url: string; fingerprint?: string } }[];
  };

/** The peer `name` online over a relay whose URL is one of `urls`. */
async function linkedVia(home: string, name: string, urls: string[]): Promise<PeerInfo | undefined> {
  const p = await peerOf(home, name);
  return p?.online && p.path === 'relay' && p.relay !== null && urls.includes(p.relay) ? p : undefined;
}

test('nodes on two relays pair by invite, link, survive each relay restarting', async () => {
  const relay1Home = tempHome('relay1');
  const relay2Home = tempHome('relay2');
  let relay1 = await startTestRelay(relay1Home, true);
  let relay2 = await startTestRelay(relay2Home, false);
  assert.match(relay1.fingerprint ?? '', /^[0-9a-f]{64}$/);
  const homeA = tempHome('xa');
  const homeB = tempHome('xb');
  const [a, b] = await Promise.all([
    startAgent(homeA, agentOn('a', ['--relay', relay1.url, '--relay-fingerprint', relay1.fingerprint!])),
    startAgent(homeB, agentOn('b', ['--relay', relay2.url])),
  ]);
  const agentLogs = () => `\n--- a ---\n${a.stderr()}\n--- b ---\n${b.stderr()}`;

  // Pairing by invite: B is not on relay 1, it reaches it on demand for the rendezvous.
  const code = await cliJson<PairNewResult>(['pair', 'new', '--home', homeA]);
  assert.ok(code.invite.includes(encodeURIComponent(relay1.url)), code.invite);
  // The bare code cannot reach A from B's relay: the error says where B looked and what to use instead.
  const bare = await cli(['pair', 'join', code.code, '--home', homeB, '--timeout', '10s']);
  assert.equal(bare.code, 1);
  assert.match(bare.stderr, new RegExp(`no node on ${relay2.url} is waiting for it; .*invite link`));
  const join = cli(['pair', 'join', code.invite, '--home', homeB, '--timeout', '30s'], 45_000);
  const idB = await nodeId(homeB);
  await until(
    'B pending on A',
    async () => (await agentCall(homeA, 'pending.list', {})).find((p) => p.fingerprint === idB.fingerprint),
    30_000,
  );
  const approve = await cli(['approve', '--latest', '--home', homeA]);
  assert.equal(approve.code, 0, approve.stderr);
  const joined = await join;
  assert.equal(joined.code, 0, joined.stderr + agentLogs());
  assert.match(joined.stdout, /^paired with a /m);

  // Both sides link through relay 1: B dials A's home relay; A finds B there while B is on it.
  const viaA = await until('A sees b over a relay', () => linkedVia(homeA, 'b', [relay1.url]), 20_000).catch(
    (err: Error) => assert.fail(err.message + agentLogs()),
  );
  assert.equal(viaA.relay, relay1.url, '`peers --json` names the relay the link uses');
  const viaB = await until('B sees a over a relay', () => linkedVia(homeB, 'a', [relay1.url]), 20_000);
  assert.equal(viaB.address, relay1.url);
  const statusB = await status(homeB);
  assert.deepEqual(
    statusB.relays.map((r) => ({ url: r.url, onDemand: r.onDemand ?? false })),
    [
      { url: relay2.url, onDemand: false },
      { url: relay1.url, onDemand: true },
    ],
  );

  // A terminal through the cross-relay link runs a command on A.
  const term = await cli(['term', 'a', '--home', homeB, '--', 'sh', '-c', 'echo cross-$((40+2))']);
  assert.equal(term.code, 0, term.stderr);
  assert.match(term.stdout, /cross-42/);

  // Moved onto a splice, the link has no circuit on relay 1 any more but still runs through it: B
  // keeps that on-demand relay past the idle time (it used to drop it, and list a relay it was not on).
  await until("B's link to a spliced", async () => (await peerOf(homeB, 'a'))?.relaySpliced === true, 30_000);
  await sleep(IDLE_MS + 2_000, 'past the idle time: the relay in use must stay');
  assert.ok(
    (await status(homeB)).relays.some((r) => r.url === relay1.url && r.connected),
    'relay 1 is still in use',
  );
  assert.ok(await linkedVia(homeB, 'a', [relay1.url]), 'and the link still goes through it');

  // B adopted nothing: its saved relays are its own; A's pinned relay is only on its record of A.
  const configB = savedConfig(homeB);
  assert.deepEqual(
    configB.relays.map((r) => r.url),
    [relay2.url],
  );
  assert.deepEqual(configB.peers.find((p) => p.name === 'a')?.homeRelay, {
    url: relay1.url,
    fingerprint: relay1.fingerprint,
  });
  // B's home relay, announced in its hellos, is what A observed, not what A's owner set: A's
  // config.json has none for b, and A still reaches b there below.
  assert.equal(savedConfig(homeA).peers.find((p) => p.name === 'b')?.homeRelay, undefined);

  // Relay 1 goes down: A reaches B on B's home relay (relay 2) instead, and B's on-demand client
  // for relay 1, carrying nothing now, is dropped after the idle time.
  await relay1.proc.stop();
  await until('A back to b through relay 2', () => linkedVia(homeA, 'b', [relay2.url]), 30_000).catch(
    (err: Error) => assert.fail(err.message + agentLogs()),
  );
  await until('B back to a through relay 2', () => linkedVia(homeB, 'a', [relay2.url]), 30_000);
  await until(
    'B drops relay 1 once idle',
    async () => !(await status(homeB)).relays.some((r) => r.url === relay1.url),
    IDLE_MS + 15_000,
  );
  relay1 = await startTestRelay(relay1Home, true, relay1.port);
  await until(
    'A back on its restarted home relay (same certificate)',
    async () => (await status(homeA)).relays.find((r) => r.url === relay1.url)?.connected === true,
    40_000,
  );

  // Relay 2 goes down: B reaches A on A's home relay (relay 1) again, on demand.
  await relay2.proc.stop();
  await until('B back to a through relay 1', () => linkedVia(homeB, 'a', [relay1.url]), 40_000).catch(
    (err: Error) => assert.fail(err.message + agentLogs()),
  );
  await until('A back to b through relay 1', () => linkedVia(homeA, 'b', [relay1.url]), 20_000);
  relay2 = await startTestRelay(relay2Home, false, relay2.port);
  const again = await cli(['term', 'a', '--home', homeB, '--', 'sh', '-c', 'echo still-$((6*7))']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /still-42/);
  assert.deepEqual(
    savedConfig(homeB).relays.map((r) => r.url),
    [relay2.url],
    'still only its own relay saved',
  );

  await Promise.all([a.stop(), b.stop()]);
  await Promise.all([relay1.proc.stop(), relay2.proc.stop()]);
});

/**
 * A node with neither relay nor direct listener, started on first use and shared by the two tests that
 * want one (neither needs it fresh: a join that finds no path leaves nothing behind), so the file starts
 * one agent less.
 */
let lonely: Promise<string> | undefined;
function lonelyNode(): Promise<string> {
  lonely ??= (async () => {
    const home = tempHome('lonely');
    await startAgent(home, agentOn('b', []));
    return home;
  })();
  return lonely;
}

test('a bare code with no relay and no LAN listener says there is no path to the issuer', async () => {
  const home = await lonelyNode();
  const r = await cli(['pair', 'join', 'K7QX-M2RT-9WZA', '--home', home, '--timeout', '5s']);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /no relay or LAN path to the issuer; add the issuer's relay, or use the invite link/,
  );
});

test('peers added by fingerprint on two relays link once one side names the other relay (--relay)', async () => {
  const relay1 = await startTestRelay(tempHome('relay3'), false);
  const relay2 = await startTestRelay(tempHome('relay4'), false);
  const homeA = tempHome('xd');
  const homeB = tempHome('xe');
  const [a, b] = await Promise.all([
    startAgent(homeA, agentOn('a', ['--relay', relay1.url])),
    startAgent(homeB, agentOn('b', ['--relay', relay2.url])),
  ]);
  const idA = await nodeId(homeA);
  const idB = await nodeId(homeB);

  // By fingerprint alone neither can learn where the other lives: the line says what to do.
  // Added over the control socket, as `peers add` does: the command's own words are checked below.
  await agentCall(homeA, 'peers.add', { fingerprint: idB.fingerprint, name: 'b' });
  await agentCall(homeB, 'peers.add', { fingerprint: idA.fingerprint, name: 'a' });
  const stuck = await until(
    'A gives up on b for now',
    async () => {
      const p = await peerOf(homeA, 'b');
      return p?.stateDetail?.includes('uses another relay') ? p : undefined;
    },
    20_000,
  );
  // The command that names that relay comes as data beside the line (stateHint), for this node.
  assert.equal(stuck.stateHint?.where, 'here');
  assert.ok(stuck.stateHint?.argv.includes('--relay'), JSON.stringify(stuck.stateHint));

  // One side naming the other's relay is enough: A dials it on demand, and B learns A's from the hello.
  const addB = (relay: string) =>
    cli(['peers', 'add', idB.fingerprint, '--name', 'b', '--relay', relay, '--home', homeA]);
  const bad = await addB('http://x');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--relay must be a ws:\/\/ or wss:\/\/ URL/);
  const named = await addB(relay2.url);
  assert.equal(named.code, 0, named.stderr);
  const via = await until(
    'A reaches b on its relay',
    () => linkedVia(homeA, 'b', [relay2.url]),
    30_000,
  ).catch((err: Error) => assert.fail(`${err.message}\n--- a ---\n${a.stderr()}\n--- b ---\n${b.stderr()}`));
  assert.equal(via.relay, relay2.url);
  const term = await cli(['term', 'b', '--home', homeA, '--', 'sh', '-c', 'echo named-$((40+2))']);
  assert.equal(term.code, 0, term.stderr);
  assert.match(term.stdout, /named-42/);

  // Adding a known peer again (a rename) keeps what it may do and where it lives.
  await agentCall(homeA, 'peers.deny', { peer: 'b', permission: 'forward' });
  const renamed = await cli(['peers', 'add', idB.fingerprint, '--name', 'bee', '--rename', '--home', homeA]);
  assert.equal(renamed.code, 0, renamed.stderr);
  const bee = await peerOf(homeA, 'bee');
  assert.deepEqual(bee?.allow, ['terminal', 'message']);
  assert.equal(savedConfig(homeA).peers.find((p) => p.name === 'bee')?.homeRelay?.url, relay2.url);

  await Promise.all([a.stop(), b.stop()]);
  await Promise.all([relay1.proc.stop(), relay2.proc.stop()]);
});

test("an invite whose relay pin is not the relay's certificate is refused at once, and the right invite then works", async () => {
  const relay = await startTestRelay(tempHome('forged-relay'), true);
  const homeA = tempHome('forged-a');
  const [homeB] = await Promise.all([
    lonelyNode(),
    startAgent(homeA, agentOn('a', ['--relay', relay.url, '--relay-fingerprint', relay.fingerprint!])),
  ]);
  await until('a on its relay', async () => (await status(homeA)).relays[0]?.connected, 30_000);
  const { invite } = await agentCall(homeA, 'pair.new', {});
  const forged = invite.replace(/fp=[0-9a-f]{64}/, `fp=${'ab'.repeat(32)}`);
  assert.notEqual(forged, invite);
  const refused = await cli(['pair', 'join', forged, '--home', homeB, '--timeout', '20s']);
  assert.equal(refused.code, 1);
  assert.match(
    refused.stderr,
    /does not present the certificate the invite names \(abab\.\.\.abab\): the invite was altered or the relay changed its certificate - ask for a new invite/,
  );
  assert.doesNotMatch(refused.stderr, /peers add/);
  // The on-demand client started with the forged pin starts over with the right one.
  const join = cli(['pair', 'join', invite, '--home', homeB, '--timeout', '30s']);
  await until('b pending on a', async () => (await agentCall(homeA, 'pending.list', {})).length > 0, 30_000);
  assert.equal((await cli(['approve', '--latest', '--home', homeA])).code, 0);
  assert.equal((await join).code, 0);
});
