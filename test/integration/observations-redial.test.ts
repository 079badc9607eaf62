/**
 * What the owner set stays apart from what the node saw (docs/architecture.md §State and its owners):
 * a direct dial that works, and the addresses a peer's hello names, are observations. Twenty re-dials
 * leave both nodes' config.json byte for byte as they were, and a hand edit of config.json while links
 * run neither leaks a link nor stops the next dial.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentCall, cli, nodeId, peerOf, stopAll, tempHome, startAgent } from '../helpers/processes.js';
import { freePort } from '../helpers/ports.js';
import { until } from '../helpers/wait.js';

after(stopAll);

/** Established TCP connections on this machine whose remote end is 127.0.0.1:`port` (the dialer's side). */
function dialedTo(port: number): number {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .filter((line) => {
      const f = line.trim().split(/\s+/);
      return f[2] === `0100007F:${hex}` && f[3] === '01';
    }).length;
}

test(
  'twenty direct re-dials leave config.json unchanged; a hand edit neither leaks a link nor stops a dial',
  { timeout: 240_000 },
  async () => {
    const homeA = tempHome('obs-a');
    const homeB = tempHome('obs-b');
    const portB = await freePort();
    const agent = (home: string, name: string, listen: string) =>
      startAgent(home, { name, listen, ui: false });
    // a runs in this process: it starts 21 times, and a process adds nothing to what is checked (each
    // start is a new listener on a new port and a new dial of b, with what it saved on disk) while it
    // cost ~0.7 s of CPU a start. b, whose config.json takes a's hellos, is the CLI's agent.
    const startA = () =>
      startAgent(homeA, {
        inProcess: {
          overrides: { name: 'a', listen: '127.0.0.1:0', ui: { listen: null, allowRemote: false } },
        },
      });
    let [a, b] = await Promise.all([startA(), agent(homeB, 'b', `127.0.0.1:${portB}`)]);
    const fa = (await nodeId(homeA)).fingerprint;
    const fb = (await nodeId(homeB)).fingerprint;
    await agentCall(homeA, 'peers.add', { fingerprint: fb, name: 'b', address: `127.0.0.1:${portB}` });
    await agentCall(homeB, 'peers.add', { fingerprint: fa, name: 'a' });
    const direct = (what: string) =>
      until(what, async () => ((await peerOf(homeA, 'b'))?.path === 'direct' ? true : undefined), 30_000);
    await direct('a linked to b directly');

    const configA = join(homeA, 'config.json');
    const configB = join(homeB, 'config.json');
    const before = { a: readFileSync(configA, 'utf8'), b: readFileSync(configB, 'utf8') };
    // a restarts on a new port each time (it listens on :0): every start is a direct dial of b by a, and
    // a hello to b naming where a listens now. Each stop is a whole stop, with whatever it saves then.
    for (let i = 0; i < 20; i++) {
      await a.stop();
      a = await startA();
      await direct(`re-dial ${i + 1}`);
    }
    assert.equal(readFileSync(configA, 'utf8'), before.a, "a's config.json after 20 re-dials");
    assert.equal(readFileSync(configB, 'utf8'), before.b, "b's config.json after 20 hellos from a new port");
    const seen = await peerOf(homeA, 'b');
    const given = seen?.addresses.find((x) => x.address === `127.0.0.1:${portB}`);
    assert.ok(given?.from.includes('given'), 'still the owner’s address');
    assert.notEqual(given?.lastWorked, null, 'its success is known (an observation)');

    // A hand edit while the link runs: the agent may not write config.json until it restarts. b
    // restarts, a dials it again, and the winning link is used (not leaked beside a second one).
    // (A trailing newline: another text than the agent wrote, which is all it checks.)
    writeFileSync(configA, `${readFileSync(configA, 'utf8')}\n`);
    await b.stop();
    await until(
      'b offline on a',
      async () => ((await peerOf(homeA, 'b'))?.online ? undefined : true),
      20_000,
    );
    b = await agent(homeB, 'b', `127.0.0.1:${portB}`);
    await direct('a dials b again after the hand edit');
    const ping = await cli(['ping', 'b', '--home', homeA]);
    assert.equal(ping.code, 0, ping.stderr);
    assert.match(ping.stdout, /pong from b via direct/);
    // One link: its main connection and, for terminals, its quiet lane (ADR 0042); no third.
    await until(
      'no leaked connection',
      () => Promise.resolve(dialedTo(portB) <= 2 ? true : undefined),
      30_000,
    ).catch(() => assert.fail(`${dialedTo(portB)} connections from a to b's listener`));
  },
);
