/**
 * Issue 52 item 4, the messages a new user met on the serving side, with real agents on loopback:
 * `connections close` on the node serving a terminal tells the viewer which node's owner closed it;
 * `connections close nosuch` says there is no such connection (as `c999` did), not a schema rule;
 * `log --peer nosuch` says no peer has that name and fails; a peer at an address this machine has no
 * route to is said so, with `peers route` to run, not Node's error text and `peers add`.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { agentCall, cli, startProcess, stopAll } from '../helpers/processes.js';
import { startListeningAgent } from '../helpers/loopback-nodes.js';
import { until } from '../helpers/wait.js';

after(stopAll);

const agent = (name: string) => startListeningAgent(name, 'msg');

test('the serving side says what happened, and who did it', async () => {
  const [a, b] = await Promise.all([agent('a'), agent('b')]);
  // b first, so a's first link finds a peer there, not a stranger to hold as pending.
  const added = await cli([
    'peers',
    'add',
    a.status.fingerprint,
    '--name',
    'a',
    '--address',
    a.status.listen!,
    '--allow',
    'terminal',
    '--home',
    b.home,
  ]);
  assert.equal(added.code, 0, added.stderr);
  const back = await cli([
    'peers',
    'add',
    b.status.fingerprint,
    '--name',
    'b',
    '--address',
    b.status.listen!,
    '--home',
    a.home,
  ]);
  assert.equal(back.code, 0, back.stderr);
  const ping = await cli(['ping', 'b', '--wait', '15s', '--home', a.home]);
  assert.equal(ping.code, 0, ping.stderr);

  // 1. b's owner cuts a's terminal: a's viewer hears that b's owner did, not "this node".
  const term = startProcess(['term', 'b', '--home', a.home, '--', 'sleep', '60']);
  const served = await until(
    'the terminal served on b',
    async () => (await agentCall(b.home, 'connections.list', {})).find((c) => c.kind === 'terminal-served'),
    30_000,
  );
  const closed = await cli(['connections', 'close', served.id, '--home', b.home]);
  assert.equal(closed.code, 0, closed.stderr);
  await until('term to end', () => term.child.exitCode !== null, 30_000);
  assert.match(term.stderr(), /^clawbridge: closed by the owner of b$/m);
  assert.doesNotMatch(term.stderr(), /this node/);

  // 2. An id that names nothing: the same answer as one that ended, with the command that lists them.
  for (const id of ['nosuch', 'c999']) {
    const r = await cli(['connections', 'close', id, '--home', b.home]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(
        `^clawbridge: no open connection ${id} here: it ended, or the id is mistyped \\(\`clawbridge connections --home `,
      ),
    );
    assert.doesNotMatch(r.stderr, /a connection id is/);
  }

  // 3. `log --peer` with a name no peer has: said so, and a failure; a real peer's events as before.
  const nosuch = await cli(['log', '--peer', 'nosuch', '--home', b.home]);
  assert.equal(nosuch.code, 1);
  assert.match(
    nosuch.stderr,
    /^clawbridge: no peer 'nosuch': not a peer of this node, and no event of the audit log names one so/,
  );
  assert.equal(nosuch.stdout, '');
  const ofA = await cli(['log', '--peer', 'a', '--home', b.home]);
  assert.equal(ofA.code, 0, ofA.stderr);
  assert.match(ofA.stdout, /terminal start +a \(/);
  // A peer with no event since then is a peer without events, not an unknown one.
  const quiet = await cli(['log', '--peer', 'A', '--since', '2099-01-01T00:00:00Z', '--home', b.home]);
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.equal(quiet.stdout, 'no events\n');
});

test('a peer at an address this machine has no route to: a route through a peer, in plain words', async (t) => {
  const a = await agent('r');
  // 2001:db8::/32 is for documentation: no machine routes it, so the kernel answers at once.
  const address = '[2001:db8::1]:7474';
  const added = await cli([
    'peers',
    'add',
    'cd'.repeat(32),
    '--name',
    'c',
    '--address',
    address,
    '--home',
    a.home,
  ]);
  assert.equal(added.code, 0, added.stderr);
  const r = await until(
    'a dial to fail',
    async () => {
      const p = await cli(['ping', 'c', '--home', a.home]);
      return /unreachable/.test(p.stderr) && p;
    },
    30_000,
  );
  if (!/no route to/.test(r.stderr) && /ETIMEDOUT|timed out/.test(r.stderr)) {
    return t.skip(`this machine routes ${address}: ${r.stderr}`);
  }
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    `clawbridge: peer c is unreachable: this machine has no route to ${address}: reach it through a peer that can, or a relay both nodes share (\`clawbridge peers route c --via HOP --home ${a.home}\`)\n`,
  );
});
