/**
 * The attacks of issue 26 ("Hardening, round two"), re-run on loopback against a real agent process
 * (built CLI: `npm run build`) and an in-process relay, bounded in count and time. The property shown
 * each time: while flooded, the owner's web UI page authenticates and a control-socket request answers
 * within OWNER_DEADLINE_MS, and the agent's file descriptors stay below its caps. Distinct 127.0.x.y
 * source addresses stand for other machines (or local users spreading over loopback).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { controlSocketPath } from '../../src-main/home/home-dir.js';
import { ControlClient } from '../../src-main/api/control-client.js';
import { MAX_CONTROL_CONNECTIONS } from '../../src-main/api/control-server.js';
import { MAX_UI_CONNECTIONS } from '../../src-main/api/web-ui/server.js';
import { encodeRelayFrame, type RelayFrame } from '../../src-main/protocol/relay-frames.js';
import { DEFAULT_RELAY_LIMITS } from '../../src-main/protocol/relay-limits.js';
import { uiProtocols } from '../../src-renderer/api/ui-protocols.js';
import { testIdentity } from '../helpers/identities.js';
import { stopAll, tempHome, startAgent, type AgentProc } from '../helpers/processes.js';
import { connectedClient, exchange, RawClient, startTestRelay } from '../helpers/relay-harness.js';
import { until } from '../helpers/wait.js';

/**
 * What "the owner still gets in" means here: an answer within this, in ms. A starved listener never
 * answers; 5 s rather than 1 s because a 2-core CI machine running two test files at once has been
 * seen to take over a second to schedule the agent at all (a timing figure is not what this checks).
 */
const OWNER_DEADLINE_MS = 5_000;

/** The soft fd limit of this process (the agent inherits it); the floods are scaled to stay under it. */
function fdLimit(): number {
  try {
    return Number(execFileSync('/bin/sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim()) || 1024;
  } catch {
    return 1024;
  }
}

/** Half-open HTTP connections: a few thousand, fewer when this process could not hold them. */
const HALF_OPEN = Math.max(MAX_UI_CONNECTIONS + 200, Math.min(3_000, Math.floor(fdLimit() / 3)));

let agent: AgentProc;
let home: string;
let port: number;
let token: string;

before(async () => {
  home = tempHome('floods');
  agent = await startAgent(home, { listen: false, ui: true });
  port = agent.uiPort!;
  token = readFileSync(join(home, 'ui-token'), 'utf8').trim();
});
after(stopAll);

/** Open file descriptors of the agent process (Linux), or undefined where /proc is missing. */
function agentFds(): number | undefined {
  const dir = `/proc/${agent.child.pid}/fd`;
  return existsSync(dir) ? readdirSync(dir).length : undefined;
}

/**
 * The owner's page as the renderer opens it (`/api`, the right Origin, the token in the upgrade's
 * subprotocols and then as the first message); resolves with the ms to `ready`.
 */
function ownerPage(): Promise<number> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api`, uiProtocols(token), {
      origin: `http://127.0.0.1:${port}`,
    });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`the owner's page got no ready within ${OWNER_DEADLINE_MS} ms`));
    }, OWNER_DEADLINE_MS);
    ws.on('error', () => undefined);
    ws.once('open', () => ws.send(JSON.stringify({ type: 'auth', token })));
    ws.once('message', (data) => {
      clearTimeout(timer);
      ws.close();
      const type = (JSON.parse((data as Buffer).toString('utf8')) as { type: string }).type;
      if (type === 'ready') resolve(Date.now() - t0);
      else reject(new Error(`the owner's page got ${type}`));
    });
    ws.once('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      reject(new Error(`the owner's page was refused with HTTP ${res.statusCode}`));
    });
  });
}

/** A control-socket request as the CLI makes it; resolves with the ms to its answer. */
async function ownerCli(): Promise<number> {
  const t0 = Date.now();
  const client = await ControlClient.connect(controlSocketPath(home), home);
  try {
    await client.call('status', {}, OWNER_DEADLINE_MS);
  } finally {
    client.close();
  }
  return Date.now() - t0;
}

async function ownerGetsIn(what: string): Promise<void> {
  const page = await ownerPage();
  const cli = await ownerCli();
  assert.ok(page < OWNER_DEADLINE_MS, `${what}: the owner's page took ${page} ms`);
  assert.ok(cli < OWNER_DEADLINE_MS, `${what}: a control request took ${cli} ms`);
}

test('300 WebSockets that never send the token, reconnecting when closed, do not lock the owner out', async () => {
  // Another process, as another local user would be: the owner's client here is not slowed by it.
  const flood = spawn(process.execPath, [join(import.meta.dirname, 'ws-flood.mjs'), String(port), '300'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  try {
    // The flood is under way (each socket answered once, refused ones back again) before the owner comes.
    await new Promise<void>((resolve, reject) => {
      let said = '';
      flood.stdout
        .setEncoding('utf8')
        .on('data', (c: string) => (said += c).includes('under way') && resolve());
      flood.once('exit', (code) => reject(new Error(`the flood exited with ${code}`)));
    });
    for (let i = 0; i < 3; i++) await ownerGetsIn('unauthenticated WebSocket flood');
  } finally {
    flood.stdin.end();
    flood.kill();
  }
});

test(`${HALF_OPEN} half-sent HTTP requests from 127.0.x.y: the agent holds at most its cap, the owner gets in`, async () => {
  const sockets: Socket[] = [];
  const open = (i: number) =>
    new Promise<void>((resolve) => {
      const s = connect({
        host: '127.0.0.1',
        port,
        localAddress: `127.0.${1 + (i % 200)}.${1 + Math.floor(i / 200)}`,
      });
      sockets.push(s);
      s.on('error', () => resolve());
      s.once('close', () => resolve());
      s.once('connect', () => {
        s.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`);
        resolve();
      });
    });
  const fdsBefore = agentFds();
  try {
    for (let i = 0; i < HALF_OPEN; i += 100) {
      await Promise.all(Array.from({ length: Math.min(100, HALF_OPEN - i) }, (_, k) => open(i + k)));
    }
    const fds = agentFds();
    if (fds !== undefined && fdsBefore !== undefined) {
      assert.ok(
        fds - fdsBefore <= MAX_UI_CONNECTIONS + 16,
        `the agent holds ${fds - fdsBefore} more fds under ${HALF_OPEN} half-sent requests`,
      );
    }
    await ownerGetsIn('half-open HTTP flood');
  } finally {
    for (const s of sockets) s.destroy();
  }
});

test('500 control-socket connections: at most the cap is held, memory stays bounded, the web UI still works', async () => {
  const path = controlSocketPath(home);
  const sockets: Socket[] = [];
  const partialLine = '{"id":1,"method":"status","params":{"pad":"' + 'x'.repeat(512 * 1024);
  await Promise.all(
    Array.from(
      { length: 500 },
      () =>
        new Promise<void>((resolve) => {
          const s = connect(path, () => {
            s.write(partialLine);
            resolve();
          });
          s.on('error', () => resolve());
          sockets.push(s);
        }),
    ),
  );
  try {
    await until('the connections over the cap to be closed', () => {
      return sockets.filter((s) => !s.destroyed && !s.readableEnded).length <= MAX_CONTROL_CONNECTIONS;
    });
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${agent.child.pid}/status`, 'utf8'))?.[1]);
    assert.ok(!(rssKb > 600 * 1024), `the agent's RSS is ${Math.round(rssKb / 1024)} MB`);
    const page = await ownerPage();
    assert.ok(page < OWNER_DEADLINE_MS, `the owner's page took ${page} ms`);
  } finally {
    for (const s of sockets) s.destroy();
  }
  // The destroyed sockets close on the agent's side: it answers a client again.
  await until('a control request answered once the flood left', async () => (await ownerCli()) >= 0);
  assert.ok((await ownerCli()) < OWNER_DEADLINE_MS, 'the CLI works again once the flood leaves');
});

test('20 throwaway relay identities from one address holding 16 circuits each do not keep a peer from linking', async () => {
  const relay = await startTestRelay();
  try {
    const a = await connectedClient(relay.url, await testIdentity('flood-a'));
    const attackers: RawClient[] = [];
    for (let i = 0; i < 20; i++) {
      const raw = await RawClient.connect(relay.url, '127.0.0.2');
      await raw.authenticate(await testIdentity(`flood-x${i}`));
      assert.equal((await raw.next()).type, 'auth-ok');
      attackers.push(raw);
      for (let c = 1; c <= DEFAULT_RELAY_LIMITS.circuitsPerPair; c++) {
        raw.send(encodeRelayFrame({ type: 'open', circuitId: c, target: a.nodeId }));
      }
    }
    const answered = (f: RelayFrame) => f.type === 'open-ok' || f.type === 'close';
    await until('every OPEN answered', () =>
      attackers.every((r) => r.frames.filter(answered).length >= DEFAULT_RELAY_LIMITS.circuitsPerPair),
    );
    const held = attackers.reduce((n, r) => n + r.frames.filter((f) => f.type === 'open-ok').length, 0);
    assert.ok(held <= DEFAULT_RELAY_LIMITS.circuitsPerSourceIp, `one address holds ${held} circuits`);
    const peer = await connectedClient(relay.url, await testIdentity('flood-peer'));
    const t0 = Date.now();
    await exchange(peer, a);
    assert.ok(Date.now() - t0 < OWNER_DEADLINE_MS, `the peer linked after ${Date.now() - t0} ms`);
    for (const r of attackers) r.ws.close();
    peer.stop();
    a.stop();
  } finally {
    await relay.close();
  }
});
