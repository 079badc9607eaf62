/**
 * A removal of one of the owner's devices outlives an old config.json (issue 57 must-be-true 3, ADR
 * 0065), with real agents on loopback: b keeps the signed removal of d in members.json, so b started
 * again with the config.json of before the removal (which still lists d, marked mine) removes d at
 * start, before it listens: d's dial is refused from the first, and d is never a peer or a link on b,
 * not even for the moment it would take a or c to pass the removal on again.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { PeerInfo } from '../../src-main/api/contract.js';
import { ok, online, pairMine, type LoopbackNode } from '../helpers/loopback-nodes.js';
import {
  agentCall,
  stopAll,
  tempHome,
  type Proc,
  nodeId,
  startAgent,
  type AgentProc,
} from '../helpers/processes.js';
import { until, sleep } from '../helpers/wait.js';

after(stopAll);

/** The bounded wait the issue names for a removal to reach every device. */
const WITHIN_MS = 10_000;

interface Node extends LoopbackNode {
  proc: Proc;
}

/** `clawbridge agent` for `home` named `name`, listening on `listen`, its log saying what its links do. */
function startNamed(home: string, name: string, listen: string): Promise<AgentProc> {
  return startAgent(home, { name, ui: false, listen, env: { CLAWBRIDGE_LOG: 'info' } });
}

async function startNode(name: string): Promise<Node> {
  const home = tempHome(`kept-${name}`);
  const proc = await startNamed(home, name, '127.0.0.1:0');
  const { fingerprint } = await nodeId(home);
  const status = await until(
    `${name} up`,
    async () => {
      const s = await agentCall(home, 'status', {});
      return typeof s.listen === 'string' && s;
    },
    30_000,
  );
  return { name, home, fingerprint, address: status.listen ?? '', proc };
}

async function peers(node: LoopbackNode): Promise<PeerInfo[]> {
  return agentCall(node.home, 'peers.list', {});
}

test('b started again with its config.json of before `peers rm d` on c: d is refused from its first dial and never appears on b', async () => {
  const [b, c, d] = await Promise.all([startNode('b'), startNode('c'), startNode('d')]);
  await pairMine(b, c, true);
  await pairMine(c, d, true);
  // d reaches b through c's introduction, and b links to it.
  await until(
    'd introduced to b and linked',
    async () => (await peers(b)).find((p) => p.fingerprint === d.fingerprint && p.state === 'online'),
    WITHIN_MS,
  );
  const before = join(mkdtempSync(join(tmpdir(), 'cb-kept-old-')), 'config.json');
  copyFileSync(join(b.home, 'config.json'), before);
  await ok(['peers', 'rm', 'd', '--home', c.home]);
  await until(
    'd gone from b',
    async () => !(await peers(b)).some((p) => p.fingerprint === d.fingerprint),
    WITHIN_MS,
  );

  // b and d stop; b comes back with the old config.json (d a peer marked mine there), on its old port.
  await Promise.all([b.proc.stop(), d.proc.stop()]);
  copyFileSync(before, join(b.home, 'config.json'));
  const restartedAt = Date.now();
  const restart = await startNamed(b.home, 'b', b.address);
  // From b's first answer on, before d dials: d must never be a peer of b, nor a connection.
  const seen: string[] = [];
  let polling = true;
  const look = async () => {
    const [list, conns] = await Promise.all([
      peers(b),
      agentCall(b.home, 'connections.list', {}) as Promise<unknown>,
    ]);
    const p = list.find((x) => x.fingerprint === d.fingerprint);
    if (p) seen.push(`peers: d ${p.state}`);
    if (JSON.stringify(conns).includes(d.fingerprint)) seen.push('connections: d');
  };
  await look(); // b's first answer, before d runs again
  const poll = (async () => {
    for (let i = 0; polling && i < 10_000; i++) {
      await look().catch(() => undefined);
      await sleep(20, 'a sample every 20 ms while d restarts');
    }
  })();
  try {
    // d starts again and dials b at its address (the one c introduced): b refuses it.
    await startNamed(d.home, 'd', '127.0.0.1:0');
    await until(
      'b refusing d’s link after its restart',
      async () => {
        const { events } = await agentCall(b.home, 'audit.list', {});
        return events.some(
          (e) =>
            e.kind === 'refused' &&
            e.peer?.fingerprint === d.fingerprint &&
            e.service === 'link' &&
            Date.parse(e.time) >= restartedAt,
        );
      },
      30_000,
    );
    await until(
      'd seeing b refuse it',
      async () => (await peers(d)).find((p) => p.fingerprint === b.fingerprint)?.state === 'refused',
      30_000,
    );
  } finally {
    polling = false;
    await poll;
  }
  assert.deepEqual(seen, [], 'd appeared on b');
  assert.doesNotMatch(restart.stderr(), /"peer":"d"[^\n]*"msg":"link up"/, 'b had a link with d');
  // Removed at start, with a log line and an audit event saying why.
  assert.match(restart.stderr(), /d \([0-9a-f]{8}\) removed at start/);
  const { events } = await agentCall(b.home, 'audit.list', {});
  assert.ok(
    events.some(
      (e) =>
        e.kind === 'member' &&
        e.change === 'removed' &&
        e.peer?.fingerprint === d.fingerprint &&
        /removed at start/.test(e.what ?? ''),
    ),
    'an audit event: d removed at start',
  );
  // The old config.json's records went to members.json; config.json no longer carries them.
  const config = JSON.parse(readFileSync(join(b.home, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(config.members, undefined, 'config.json still carries membership records');
  const kept = JSON.parse(readFileSync(join(b.home, 'members.json'), 'utf8')) as {
    records: { record: { subject: string; kind: string } }[];
  };
  assert.ok(
    kept.records.some((k) => k.record.subject === d.fingerprint && k.record.kind === 'remove'),
    "kept.records.some((k) => k.record.subject === d.fingerprint && k.record.kind === 'remove')",
  );
  await online(b, 'c');
  assert.ok(!(await peers(b)).some((p) => p.fingerprint === d.fingerprint), 'd came back on b');
});
