/**
 * Issue 27, for real: a relay and two agents as separate processes on loopback. While the relay is down
 * its peers say they wait for it; once it accepts connections again they are linked again within
 * seconds (not when the backoff would have tried); and a peer whose agent was killed on a direct link
 * is explained as not running (its port refused), not as a relay problem. docs/reachability.md.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PeerInfo } from '../../src-main/api/contract.js';
import {
  agentCall,
  cli,
  peerOf,
  startRelay,
  startRelayAgent,
  stopAll,
  tempHome,
  type Proc,
  nodeId,
  startAgent,
} from '../helpers/processes.js';
import { controlConnection } from '../helpers/control-connection.js';
import { until, sleep } from '../helpers/wait.js';

after(stopAll);

/** How long the relay stays down; the issue measured 17 s and 60 s outages, and asks for 20 s. */
const DOWN_MS = Number(process.env.RELAY_DOWN_MS ?? 20_000);
/**
 * The deadline: peers linked again ≤ 3 s after the relay is back. A functional deadline, not a
 * speed measurement: before this fix they came back after 7–15 s.
 */
const BACK_WITHIN_MS = 3_000;

/** Agents a and b on `relayUrl`, peers of each other; `direct: false` is `--no-direct` on both. */
async function pairOverRelay(
  relayUrl: string,
  direct: boolean,
): Promise<{ homeA: string; homeB: string; a: Proc; b: Proc }> {
  const homeA = tempHome('ret-a');
  const homeB = tempHome('ret-b');
  const start = async (home: string, name: string) => {
    if (direct) return startRelayAgent(home, name, relayUrl);
    return startAgent(home, { name, relay: relayUrl, listen: false });
  };
  const [a, b] = await Promise.all([start(homeA, 'a'), start(homeB, 'b')]);
  const idA = await nodeId(homeA);
  const idB = await nodeId(homeB);
  // Over the control socket, as `peers add` does: a CLI process costs ~0.4 s of CPU, and its words are
  // not what this file checks.
  await agentCall(homeA, 'peers.add', { fingerprint: idB.fingerprint, name: 'b' });
  await agentCall(homeB, 'peers.add', { fingerprint: idA.fingerprint, name: 'a' });
  return { homeA, homeB, a, b };
}

test('peers of a relay that was down 20 s wait for it, and are linked again ≤ 3 s after it is back', async () => {
  const relay = await startRelay();
  // Relay only: neither side dials direct links.
  const { homeA, homeB, a, b } = await pairOverRelay(relay.url, false);
  await until('a→b over the relay', async () => (await peerOf(homeA, 'b'))?.path === 'relay', 30_000);
  await until('b→a over the relay', async () => (await peerOf(homeB, 'a'))?.path === 'relay', 30_000);

  // Killed by its PID: no goodbye to anyone.
  relay.proc.child.kill('SIGKILL');
  const downAt = Date.now();
  const waiting = new RegExp(
    `^waiting for relay ${relay.url.replace(/[./]/g, '\\$&')} \\(down since \\d\\d:\\d\\d:\\d\\d\\)$`,
  );
  for (const [home, name] of [
    [homeA, 'b'],
    [homeB, 'a'],
  ] as const) {
    const p = await until(
      `${name} waiting for the relay`,
      async () => {
        const peer = await peerOf(home, name);
        return peer && !peer.online && waiting.test(peer.stateDetail ?? '') && peer;
      },
      30_000,
    );
    assert.equal(p.state, 'unreachable');
    assert.equal(p.stateHint, undefined);
  }
  // Still so at the end of the outage, when every backoff has grown.
  await sleep(
    Math.max(0, DOWN_MS - (Date.now() - downAt)),
    'to the end of the outage, when every backoff has grown',
  );
  assert.match((await peerOf(homeA, 'b'))?.stateDetail ?? '', waiting);

  // Watched over the control socket: a CLI per poll takes longer than the deadline's margin.
  const [ca, cb] = await Promise.all([controlConnection(homeA), controlConnection(homeB)]);
  const online = async (c: typeof ca, name: string) =>
    ((await c.call('peers.list', {})) as PeerInfo[]).find((p) => p.name === name)?.online === true;
  const relay2 = await startRelay(relay.port);
  const backAt = Date.now(); // it printed that it listens: it accepts connections
  const linkedAfter = async (c: typeof ca, name: string): Promise<number> => {
    while (!(await online(c, name))) {
      if (Date.now() - backAt > 30_000) throw new Error(`${name} not linked 30 s after the relay returned`);
      await sleep(25, 'a poll that measures when the link came back');
    }
    return Date.now() - backAt;
  };
  const linked = await Promise.all([linkedAfter(ca, 'b'), linkedAfter(cb, 'a')]);
  await Promise.all([ca.close(), cb.close()]);
  const ms = Math.max(...linked);
  console.log(
    `# relay down ${Date.now() - downAt - ms} ms; both linked again ${linked.join(' / ')} ms after it was back`,
  );
  assert.ok(
    ms <= BACK_WITHIN_MS,
    `linked again ${ms} ms after the relay was back (deadline ${BACK_WITHIN_MS} ms)`,
  );
  // Each agent says so in its log.
  for (const agent of [a, b]) {
    await until(
      'the relay-back notice',
      () => /relay ws:\/\/127\.0\.0\.1:\d+ back after \d+\.\d s/.test(agent.stderr()),
      30_000,
    );
  }
  await relay2.proc.stop();
});

test('a peer whose agent was killed on a direct link is "not running", its port refused', async () => {
  const relay = await startRelay();
  const { homeA, b } = await pairOverRelay(relay.url, true);
  await until('a→b direct', async () => (await peerOf(homeA, 'b'))?.path === 'direct', 30_000);
  b.child.kill('SIGKILL');
  const p = await until(
    'b explained as not running',
    async () => {
      const peer = await peerOf(homeA, 'b');
      return (
        peer &&
        /^its agent is not running — direct 127\.0\.0\.1:\d+: connection refused/.test(
          peer.stateDetail ?? '',
        ) &&
        peer
      );
    },
    20_000,
  );
  assert.equal(p.state, 'offline');
  assert.doesNotMatch(p.stateDetail ?? '', /none of this node's relays|another relay/);
  assert.equal(p.stateHint, undefined);
  const ping = await cli(['ping', 'b', '--home', homeA]);
  assert.equal(ping.code, 1);
  assert.match(
    ping.stderr,
    /^clawbridge: peer b is offline \(its agent is not running - direct 127\.0\.0\.1:\d+: connection refused/,
  );
  await relay.proc.stop();
});
