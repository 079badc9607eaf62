/**
 * The forwards domain writes its saved forwards on its own slice of the settings (ADR 0091), and a
 * peer renamed over the API carries the forwards bound to it along, in the same write of config.json:
 * the rule the domain registers runs inside the node's rename. An agent started again reads the file
 * as before.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ControlClient } from '../../src-main/api/control-client.js';
import { controlSocketPath } from '../../src-main/home/home-dir.js';
import { startAgent, stopAll, tempHome } from '../helpers/processes.js';

after(stopAll);

const overrides = { listen: '127.0.0.1:0', lan: false, ui: { listen: null, allowRemote: false } };
const PEER = 'b'.repeat(64);

interface SavedForward {
  name: string;
  via?: string;
  viaFingerprint?: string;
}

const savedForwards = (home: string): SavedForward[] =>
  (JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')) as { forwards: SavedForward[] }).forwards;

test("a peer renamed over the API takes its proxy's via along in config.json, and the file loads again", async () => {
  const home = tempHome('forward-rename');
  const start = () =>
    startAgent(home, {
      inProcess: { overrides, domainOptions: { terminals: { sessionHost: false } }, notice: () => {} },
    });
  let running = await start();
  try {
    const client = await ControlClient.connect(controlSocketPath(home), home);
    try {
      await client.call('peers.add', { fingerprint: PEER, name: 'desk', allow: ['forward'] });
      await client.call('proxy.add', { kind: 'socks', local: '127.0.0.1:0', via: 'desk', name: 'p' });
      assert.deepEqual(
        savedForwards(home).map((f) => [f.name, f.via, f.viaFingerprint]),
        [['p', 'desk', PEER]],
        'saved through the domain, bound to the peer',
      );
      await client.call('peers.rename', { peer: 'desk', name: 'office' });
      assert.deepEqual(
        savedForwards(home).map((f) => [f.name, f.via, f.viaFingerprint]),
        [['p', 'office', PEER]],
        'the rename carried its forwards along',
      );
    } finally {
      client.close();
    }
  } finally {
    await running.stop();
  }
  running = await start();
  try {
    const client = await ControlClient.connect(controlSocketPath(home), home);
    try {
      const proxies = await client.call('proxy.list', {});
      assert.deepEqual(
        proxies.map((p) => [p.name, p.via]),
        [['p', 'office']],
        'the saved proxy is read back as before',
      );
      await client.call('proxy.remove', { name: 'p' });
      assert.deepEqual(savedForwards(home), [], 'removed through the domain');
    } finally {
      client.close();
    }
  } finally {
    await running.stop();
  }
});
