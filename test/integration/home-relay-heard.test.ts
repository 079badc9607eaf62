/**
 * A peer's home relay heard in its hello is an observation, not the owner's setting (docs/architecture.md
 * §State and its owners; docs/relay-protocol.md §Home relays). Nodes a and b share relay 1, no direct
 * path. b moves home to relay 2 (pinned wss://) while running; its next hello says so. a's config.json
 * stays byte for byte as it was, yet when relay 1 goes down a reaches b on relay 2, dialed on demand
 * with the pin b announced, and again after a restart (the heard relay is kept in observations.json).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PeerInfo, StatusResult } from '../../src-main/api/contract.js';
import { ControlClient } from '../../src-main/api/control-client.js';
import { OBSERVATIONS_FILE } from '../../src-main/state/observations.js';
import { controlSocketPath } from '../../src-main/home/home-dir.js';
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
} from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

after(stopAll);

async function startTestRelay(tls: boolean): Promise<{ proc: Proc; url: string; fingerprint?: string }> {
  const proc = startProcess([
    'relay',
    '--listen',
    '127.0.0.1:0',
    '--home',
    tempHome('heard-relay'),
    ...(tls ? [] : ['--no-tls']),
  ]);
  const m = await proc.waitForLine(
    /^relay listening on (wss?:\/\/127\.0\.0\.1:\d+)(?: fingerprint ([0-9a-f]{64}))?$/m,
  );
  return { proc, url: m[1]!, ...(m[2] ? { fingerprint: m[2] } : {}) };
}

/** The peer `name` online over the relay `url`. */
async function linkedVia(home: string, name: string, url: string): Promise<PeerInfo | undefined> {
  const p = await peerOf(home, name);
  return p?.online && p.path === 'relay' && p.relay === url ? p : undefined;
}

test(
  "a peer's new home relay heard in its hello leaves config.json unchanged and is dialed on demand",
  { timeout: 240_000 },
  async () => {
    const relay1 = await startTestRelay(false);
    const relay2 = await startTestRelay(true);
    const homeA = tempHome('heard-a');
    const homeB = tempHome('heard-b');
    const onRelay1 = { relay: relay1.url, listen: false, ui: false } as const;
    const [firstA, b] = await Promise.all([
      startAgent(homeA, { name: 'a', ...onRelay1 }),
      startAgent(homeB, { name: 'b', ...onRelay1 }),
    ]);
    let a = firstA;
    const logs = () => `\n--- a ---\n${a.stderr()}\n--- b ---\n${b.stderr()}`;
    const fa = (await nodeId(homeA)).fingerprint;
    const fb = (await nodeId(homeB)).fingerprint;
    // Over the control socket, as `peers add` does: a CLI process costs ~0.4 s of CPU.
    await agentCall(homeA, 'peers.add', { fingerprint: fb, name: 'b' });
    await agentCall(homeB, 'peers.add', { fingerprint: fa, name: 'a' });
    await until('a and b linked on relay 1', () => linkedVia(homeA, 'b', relay1.url), 30_000).catch(
      (err: Error) => assert.fail(err.message + logs()),
    );
    const configA = join(homeA, 'config.json');
    const before = readFileSync(configA, 'utf8');

    // b moves home to relay 2 (pinned) through its API, as the window's Settings does: saved first,
    // then relay 1 forgotten. Its links over relay 1 close; it comes back to a at a's home relay
    // (relay 1, on demand now), and its hello there names relay 2.
    const control = await ControlClient.connect(controlSocketPath(homeB), homeB);
    await control.call('settings.set', { addRelay: { url: relay2.url, fingerprint: relay2.fingerprint! } });
    await control.call('settings.set', { removeRelay: relay1.url });
    control.close();
    const observations = join(homeA, OBSERVATIONS_FILE);
    const mentions = (file: string) => existsSync(file) && readFileSync(file, 'utf8').includes(relay2.url);
    await until(
      "a heard b's new home relay (observations.json is written within 5 s)",
      () => (mentions(observations) || mentions(configA) ? true : undefined),
      30_000,
    ).catch((err: Error) => assert.fail(err.message + logs()));
    assert.equal(readFileSync(configA, 'utf8'), before, "a's config.json after b's hello named a new home");
    assert.ok(mentions(observations), 'kept as an observation');

    // Relay 1 goes down: a is on no relay that works, and reaches b where b said it lives.
    await relay1.proc.stop();
    await until('a reaches b on relay 2, on demand', () => linkedVia(homeA, 'b', relay2.url), 60_000).catch(
      (err: Error) => assert.fail(err.message + logs()),
    );
    const status = await cliJson<StatusResult>(['status', '--home', homeA]);
    assert.equal(status.relays.find((r) => r.url === relay2.url)?.onDemand, true, 'not saved: on demand');
    assert.equal(readFileSync(configA, 'utf8'), before, "a's config.json after dialing b's heard home relay");

    // A restart keeps the hint: a (still on relay 1 only, which is down) finds b on relay 2 again.
    await a.stop();
    a = await startAgent(homeA, { name: 'a', ...onRelay1 });
    await until('a back on b through relay 2', () => linkedVia(homeA, 'b', relay2.url), 60_000).catch(
      (err: Error) => assert.fail(err.message + logs()),
    );
    const ping = await cli(['ping', 'b', '--home', homeA]);
    assert.equal(ping.code, 0, ping.stderr);
    assert.equal(readFileSync(configA, 'utf8'), before, "a's config.json after a restart and pings");
    const saved = JSON.parse(readFileSync(configA, 'utf8')) as {
      relays: { url: string }[];
      peers: { name: string; homeRelay?: unknown }[];
    };
    assert.deepEqual(
      saved.relays.map((r) => r.url),
      [relay1.url],
    );
    assert.equal(saved.peers.find((p) => p.name === 'b')?.homeRelay, undefined, 'nothing the owner set');

    await Promise.all([a.stop(), b.stop()]);
    await relay2.proc.stop();
  },
);
