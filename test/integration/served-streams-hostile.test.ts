/**
 * No stream a peer opens takes the agent down (docs/architecture.md, "any stream a peer can open ends
 * on bad bytes, silence, a half-close … never the process"): a peer the agent trusts with everything
 * (marked mine, every permission) opens every service the real agent registers, and on each sends
 * garbage, an empty line, nothing until the service's deadline, or a half-close; the agent still
 * answers `status` after each round. The list of services is read from an agent built by the same
 * code `clawbridge agent` runs (run-agent.ts), so a service added later is opened here too, or this
 * test fails until it says how to open it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { after, before, test } from 'node:test';
import { PERMISSIONS } from '../helpers/agent-contract.js';
import { REVERSE_CONNECT_SERVICE, REVERSE_LISTEN_SERVICE } from '../../src-main/forwards/reverse-protocol.js';
import { STREAM_RESUME_SERVICE } from '../../src-main/forwards/stream-resumes.js';
import { TCP_CONNECT_SERVICE } from '../../src-main/forwards/tcp-connect-protocol.js';
import { UDP_CONNECT_SERVICE, UDP_CONNECT_VERSION } from '../../src-main/forwards/udp-connect-protocol.js';
import type { MuxStream } from '../../src-main/mux/mux.js';
import { FILES_PROTOCOL_VERSION, FILES_SERVICE } from '../../src-main/protocol/file-frames.js';
import { HOP_ARRIVE_SERVICE, HOP_SERVICE } from '../../src-main/protocol/hop-wire.js';
import { GROUPS_OPEN_ARGS, GROUPS_SERVICE } from '../../src-main/groups/group-lines.js';
import { GROUP_HISTORY_SERVICE } from '../../src-main/group-members/group-history.js';
import { MEMBERS_OPEN_ARGS, MEMBERS_SERVICE } from '../../src-main/protocol/member-records.js';
import { MESSAGE_OPEN_ARGS, MESSAGE_SERVICE } from '../../src-main/protocol/message-frames.js';
import { TERMINAL_PROTOCOL_VERSION, TERMINAL_SERVICE } from '../../src-main/protocol/terminal-frames.js';
import { TERMINAL_VIEW_SERVICE } from '../../src-main/terminal/shares/share-registry.js';
import {
  TERMINAL_OFFER_SERVICE,
  TERMINAL_PRESENT_SERVICE,
  TERMINAL_SHARE_SERVICE,
} from '../../src-main/terminal/shares/share-wire.js';
import { testIdentity } from '../helpers/identities.js';
import { rawPeer, type RawPeer } from '../helpers/raw-peer.js';
import { agentCall, cli, stopAll, tempHome, type Proc, startAgent } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

/** Longest a peer's silence is waited out (past the members exchange's 5 s, the shortest deadline). */
const SILENCE_MS = 7_000;
/**
 * Longest one stream is given to end after what the peer did, before the round moves on: past the
 * 5 s a terminal stream ended from the serving side waits for the peer's end (CLOSE_GRACE_MS).
 */
const END_WITHIN_MS = 7_000;

let home = '';
let agent: Proc;
let peer: RawPeer;
let peerFingerprint = '';
let target: Server;
let registered: string[] = [];
let nextListenPort = 0;

/** The OPEN arguments that get each service past its checks (a service refused at open is refused). */
function argsFor(service: string): unknown {
  const port = (target.address() as AddressInfo).port;
  const cases: Record<string, () => unknown> = {
    [TERMINAL_SERVICE]: () => ({
      v: TERMINAL_PROTOCOL_VERSION,
      // Short-lived: the session (in the session host) ends on its own.
      command: ['sleep', '2'],
      cols: 80,
      rows: 24,
    }),
    [FILES_SERVICE]: () => ({ v: FILES_PROTOCOL_VERSION }),
    [MESSAGE_SERVICE]: () => MESSAGE_OPEN_ARGS,
    [MEMBERS_SERVICE]: () => MEMBERS_OPEN_ARGS,
    [GROUPS_SERVICE]: () => GROUPS_OPEN_ARGS,
    [GROUP_HISTORY_SERVICE]: () => ({ group: 'a1'.repeat(16) }),
    [TCP_CONNECT_SERVICE]: () => ({ host: '127.0.0.1', port }),
    [UDP_CONNECT_SERVICE]: () => ({ v: UDP_CONNECT_VERSION, host: '127.0.0.1', port }),
    [REVERSE_LISTEN_SERVICE]: () => ({
      v: 1,
      host: '127.0.0.1',
      port: nextListenPort++,
      id: randomBytes(8).toString('hex'),
    }),
    [REVERSE_CONNECT_SERVICE]: () => ({ id: randomBytes(8).toString('hex') }),
    [STREAM_RESUME_SERVICE]: () => ({ id: randomBytes(16).toString('hex'), delivered: 0 }),
    [HOP_SERVICE]: () => ({
      v: 1,
      origin: peerFingerprint,
      to: randomBytes(32).toString('hex'),
      then: [],
    }),
    [HOP_ARRIVE_SERVICE]: () => ({ v: 1, from: peerFingerprint }),
    // Shared terminals (ADR 0123): well-formed requests about a share nobody made.
    [TERMINAL_SHARE_SERVICE]: () => ({ op: 'viewers', share: randomBytes(8).toString('hex') }),
    [TERMINAL_VIEW_SERVICE]: () => ({ share: randomBytes(8).toString('hex') }),
    [TERMINAL_PRESENT_SERVICE]: () => ({ share: randomBytes(8).toString('hex') }),
    [TERMINAL_OFFER_SERVICE]: () => ({ op: 'withdraw', share: randomBytes(8).toString('hex') }),
  };
  const make = cases[service];
  assert.ok(make, `the registered service '${service}' is not opened by this test: add how to open it`);
  return make();
}

type Behaviour = (s: MuxStream) => void;

const BEHAVIOURS: Record<string, Behaviour> = {
  garbage: (s) => {
    s.write(Buffer.concat([Buffer.from('not json {"\u0000\n'), randomBytes(16 * 1024)]));
  },
  'an empty line': (s) => {
    s.write('\n');
    s.end();
  },
  // Nothing at all: the service's deadline (or the round's) ends it.
  silence: () => undefined,
  'a half-close': (s) => s.end(),
};

/** Opens `service` and does `behaviour`; resolves once the stream ended or `waitMs` passed. */
async function attack(service: string, behaviour: Behaviour, waitMs: number): Promise<string> {
  const args = argsFor(service);
  let stream: MuxStream;
  try {
    stream = await peer.mux.open(service, args);
  } catch (err) {
    return `refused: ${(err as Error).message}`;
  }
  stream.on('error', () => undefined);
  stream.resume();
  const ended = new Promise<string>((resolve) => {
    stream.once('close', () => resolve('ended'));
    setTimeout(() => resolve('still open'), waitMs).unref();
  });
  behaviour(stream);
  const how = await ended;
  stream.destroy();
  return how;
}

async function agentAnswers(what: string): Promise<void> {
  const status = await agentCall(home, 'status', {}).catch((err: unknown) => {
    throw new Error(
      `no status after ${what}: ${String(err)}\nthe agent's stderr: ${agent.stderr().slice(-3000)}`,
    );
  });
  assert.equal(status.fingerprint.length, 64, `status after ${what}`);
}

before(async () => {
  // The services a real agent registers: read from one built by the same code, then stopped.
  const listHome = tempHome('served-list');
  const listing = await startAgent(listHome, {
    inProcess: {
      overrides: { listen: null, lan: false, ui: { listen: null, allowRemote: false } },
      domainOptions: { terminals: { sessionHost: false } },
      notice: () => undefined,
    },
  });
  registered = listing.agent.services.names();
  await listing.stop();
  assert.ok(registered.includes(MEMBERS_SERVICE), `registered: ${registered.join(', ')}`);

  target = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.resume();
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  nextListenPort = 20_000 + Math.floor(Math.random() * 20_000);

  home = tempHome('served-hostile');
  agent = await startAgent(home, { name: 'a', listen: '127.0.0.1:0', ui: false });
  await until(
    'a listening',
    async () => typeof (await agentCall(home, 'status', {})).listen === 'string',
    30_000,
  );
  const identity = await testIdentity('served-hostile');
  peerFingerprint = identity.fingerprint;
  peer = await rawPeer(home, identity, { name: 'h', allow: PERMISSIONS.join(',') });
  const marked = await cli(['peers', 'mine', 'h', 'on', '--home', home]);
  assert.equal(marked.code, 0, marked.stderr);
});

after(async () => {
  peer?.close();
  target?.close();
  await stopAll();
});

for (const [name, behaviour] of Object.entries(BEHAVIOURS)) {
  test(`every registered service, opened by a trusted peer that sends ${name}: the agent still answers`, async (t) => {
    const waitMs = name === 'silence' ? SILENCE_MS : END_WITHIN_MS;
    const outcomes = await Promise.all(
      registered.map(async (service) => `${service}: ${await attack(service, behaviour, waitMs)}`),
    );
    t.diagnostic(outcomes.join('; '));
    // A crash names its service in the agent's stderr, which the failure shows.
    await agentAnswers(`${name} on ${registered.join(', ')}\n${outcomes.join('\n')}`);
    // A terminal whose session ended (its program exited, or the garbage broke the protocol) lets its
    // stream go even when the peer never ends its side: no half-open stream is kept for good.
    if (name !== 'silence')
      assert.ok(
        outcomes.includes(`${TERMINAL_SERVICE}: ended`),
        `the terminal stream stayed open after ${name}: ${outcomes.join('; ')}`,
      );
  });
}
