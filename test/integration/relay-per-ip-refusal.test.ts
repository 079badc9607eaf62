/**
 * The relay's connections per address can be raised (`clawbridge relay --connections-per-ip N`), and a
 * node the relay refuses says so: with the limit at 1, a's connection from 127.0.0.1 takes it and b's is
 * closed with 4020; on b, `peers` gives the relay's refusal for a (the relay is up and refusing, not
 * "down since …") and `status` tells its operator how to raise the limit.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { cli, nodeId, startProcess, stopAll, tempHome, startAgent } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

/** An agent on `url` only: no direct links, no web UI. */
async function relayOnlyAgent(home: string, name: string, url: string): Promise<void> {
  await startAgent(home, { name, relay: url, listen: false, ui: false });
}

after(stopAll);

test(
  'a relay that refuses a node for its address is named as refusing, with the flag to raise',
  { timeout: 120_000 },
  async () => {
    const relay = startProcess([
      'relay',
      '--listen',
      '127.0.0.1:0',
      '--no-tls',
      '--connections-per-ip',
      '1',
      '--home',
      tempHome('relay-per-ip'),
    ]);
    const url = (await relay.waitForLine(/^relay listening on (ws:\/\/127\.0\.0\.1:\d+)$/m))[1]!;
    const [homeA, homeB] = [tempHome('per-ip-a'), tempHome('per-ip-b')];
    await relayOnlyAgent(homeA, 'a', url);
    await until(
      'a on the relay',
      async () => (await cli(['status', '--home', homeA])).stdout.includes('connected'),
      20_000,
    );
    await relayOnlyAgent(homeB, 'b', url);
    const a = await nodeId(homeA);
    const b = await nodeId(homeB);
    assert.equal((await cli(['peers', 'add', b.fingerprint, '--name', 'b', '--home', homeA])).code, 0);
    assert.equal((await cli(['peers', 'add', a.fingerprint, '--name', 'a', '--home', homeB])).code, 0);

    const refusal = /relay ws:\/\/127\.0\.0\.1:\d+: too many connections from this address/;
    const peers = await until(
      "b's peers gives the relay's refusal",
      async () => {
        const r = await cli(['peers', '--home', homeB]);
        return refusal.test(r.stdout) && r.stdout;
      },
      30_000,
    );
    assert.doesNotMatch(peers, /down since|waiting for relay/, peers);
    const status = await cli(['status', '--home', homeB]);
    assert.match(status.stdout, refusal);
    assert.match(status.stdout, /clawbridge relay --connections-per-ip N/);
  },
);
