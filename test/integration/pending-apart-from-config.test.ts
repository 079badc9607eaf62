/**
 * Pending requests live apart from config.json (ADR 0080): an unknown node knocking by fingerprint
 * over a direct loopback link leaves the owner's config.json byte for byte as it was (and its mtime),
 * while `clawbridge pending` lists the request; the request survives a normal restart of the agent and
 * is approved then.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { PendingInfo } from '../../src-main/api/contract.js';
import { freePort } from '../helpers/ports.js';
import {
  agentCall,
  cli,
  cliJson,
  nodeId,
  peerOf,
  stopAll,
  tempHome,
  startAgent,
} from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

after(stopAll);

test(
  'an unknown node knocking leaves config.json unchanged; its request survives a restart and is approved',
  { timeout: 120_000 },
  async () => {
    const homeA = tempHome('pend-a');
    const homeD = tempHome('pend-d');
    const portA = await freePort();
    const agentA = () => startAgent(homeA, { name: 'a', listen: `127.0.0.1:${portA}`, ui: false });
    const [first] = await Promise.all([
      agentA(),
      startAgent(homeD, { name: 'd', listen: '127.0.0.1:0', ui: false }),
    ]);
    let a = first;
    const idA = await nodeId(homeA);
    const idD = await nodeId(homeD);

    const config = join(homeA, 'config.json');
    const before = { text: readFileSync(config), mtime: statSync(config).mtimeMs };
    // D knows only A's fingerprint and address: its hello is a knock from an unknown node.
    const add = await cli([
      'peers',
      'add',
      idA.fingerprint,
      '--name',
      'a',
      '--address',
      `127.0.0.1:${portA}`,
      '--home',
      homeD,
    ]);
    assert.equal(add.code, 0, add.stderr);
    const listed = await until(
      'D pending on A',
      async () => (await agentCall(homeA, 'pending.list', {})).find((p) => p.fingerprint === idD.fingerprint),
      30_000,
    );
    assert.equal(listed.via, 'fingerprint');
    assert.ok(readFileSync(config).equals(before.text), 'config.json is byte for byte as it was');
    assert.equal(statSync(config).mtimeMs, before.mtime, 'and was not rewritten');
    assert.equal(statSync(join(homeA, 'pending.json')).mode & 0o777, 0o600);

    // A normal stop and start: the request is still there, under the same id.
    assert.equal(await a.stop(), 0);
    a = await agentA();
    const kept = await until(
      'D still pending after the restart',
      async () => (await agentCall(homeA, 'pending.list', {})).find((p) => p.fingerprint === idD.fingerprint),
      30_000,
    );
    assert.equal(kept.id, listed.id);
    const approve = await cli(['approve', kept.id, '--fingerprint', idD.fingerprint, '--home', homeA]);
    assert.equal(approve.code, 0, approve.stderr);
    // The owner's decision is what config.json keeps.
    const saved = JSON.parse(readFileSync(config, 'utf8')) as { peers: { fingerprint: string }[] };
    assert.ok(
      saved.peers.some((p) => p.fingerprint === idD.fingerprint),
      'saved.peers.some((p) => p.fingerprint === idD.fingerprint)',
    );
    assert.deepEqual(await cliJson<PendingInfo[]>(['pending', '--json', '--home', homeA]), []);
    await until('A–D link', async () => (await peerOf(homeA, 'd'))?.online, 30_000);
  },
);
