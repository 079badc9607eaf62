/**
 * Hints the CLI prints work when followed as printed: the commands they name are run as they stand
 * (placeholders such as FINGERPRINT and NAME filled in, `there` meaning on the other node) and do what
 * the hint promises.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  agentCall,
  cli,
  startRelay,
  stopAll,
  tempHome,
  nodeId,
  startAgent,
  assertAgentFailed,
} from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

after(stopAll);

const id = async (home: string) => (await nodeId(home)).fingerprint;

/** The `clawbridge …` commands quoted in a hint, as argument lists (hints quote no spaces in words). */
function quotedCommands(hint: string): string[][] {
  return [...hint.matchAll(/`clawbridge ([^`]+)`/g)].map((m) => m[1]!.trim().split(/\s+/));
}

/**
 * One agent with no relay, no direct listener and no web UI, started on first use, for the tests that
 * only read what its refusals and empty lists say (each used to start its own: ~0.8 s of CPU each).
 * The first of them adds a peer; the others ask about names that are nobody's, so none needs it fresh.
 */
let plain: Promise<string> | undefined;
function plainAgentHome(): Promise<string> {
  plain ??= (async () => {
    const home = tempHome('hint-plain');
    await startAgent(home, { name: 'h', listen: false, ui: false });
    return home;
  })();
  return plain;
}

test('status with no relay: stopping the agent and starting it with --relay, as the hint says', async () => {
  const relay = await startRelay();
  const home = tempHome('hint-norelay');
  await startAgent(home, { name: 'n', listen: false, ui: false });
  const status = await cli(['status', '--home', home]);
  const line = status.stdout.split('\n').find((l) => l.startsWith('relay:')) ?? '';
  const [stop, start] = quotedCommands(line);
  assert.deepEqual(stop, ['stop', '--home', home], line);
  assert.deepEqual(start, ['agent', '--home', home, '--relay', 'URL'], line);
  assert.equal((await cli(stop)).code, 0);
  // The command as the hint prints it, not as a test would write it.
  const restarted = await startAgent(home, { argv: start.map((w) => (w === 'URL' ? relay.url : w)) });
  assert.equal(restarted.name, 'n', 'the agent the hint started is the one that stopped');
  await until(
    'the relay connected',
    async () => (await agentCall(home, 'status', {})).relays[0]?.connected,
    30_000,
  );
});

test('no peers yet, and approve without an id: the hints name this home and run', async () => {
  const home = await plainAgentHome();
  const [add] = quotedCommands((await cli(['peers', '--home', home])).stdout);
  assert.deepEqual(add, ['peers', 'add', 'FINGERPRINT', '--name', 'NAME', '--home', home]);
  const other = await id(tempHome('hint-other'));
  const added = await cli(add.map((w) => (w === 'FINGERPRINT' ? other : w === 'NAME' ? 'o' : w)));
  assert.equal(added.code, 0, added.stderr);

  const listings: [string[], string[]][] = [
    [
      ['forward', 'list'],
      ['forward', 'add'],
    ],
    [
      ['proxy', 'list'],
      ['proxy', 'add'],
    ],
  ];
  for (const [list, add] of listings) {
    const [hint] = quotedCommands((await cli([...list, '--home', home])).stdout);
    assert.deepEqual(hint?.slice(0, 2), add);
    assert.deepEqual(hint?.slice(-2), ['--home', home], `${list.join(' ')}: the hint names the home`);
  }

  const approve = await cli(['approve', '--home', home]);
  assert.equal(approve.code, 1);
  const [pending] = quotedCommands(approve.stderr);
  assert.deepEqual(pending, ['pending', '--home', home]);
  const listed = await cli(pending);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /no pending requests/);
});

test("a node the relaying node has not allowed: the hint's peers add, run there, lets it in", async () => {
  const homeR = tempHome('hint-r');
  const homeD = tempHome('hint-d');
  const r = await startAgent(homeR, {
    name: 'r',
    listen: false,
    ui: false,
    args: ['--act-as-relay', '--relay-listen', '127.0.0.1:0'],
  });
  const m = await r.waitForLine(/^relay listening on (wss:\/\/127\.0\.0\.1:\d+) fingerprint ([0-9a-f]{64})/m);
  const d = await startAgent(homeD, {
    name: 'd',
    listen: false,
    ui: false,
    relay: m[1]!,
    args: ['--relay-fingerprint', m[2]!],
  });
  const hint = await until(
    'the refusal with its hint',
    () => /serves only the peers its owner allowed.*/.exec(d.stderr())?.[0],
    30_000,
  );
  const [addThere] = quotedCommands(hint);
  // The command is to run there: it does not get this agent's --home.
  assert.match(hint, /` there\)$/, hint);
  assert.deepEqual(addThere?.slice(0, 5), ['peers', 'add', 'FINGERPRINT', '--name', 'NAME'], hint);
  assert.ok(!addThere.includes('--home'), hint);
  // `clawbridge id` here prints `NAME  FINGERPRINT`; the owner runs the add on the relaying node.
  const fingerprint = (await cli(['id', '--home', homeD])).stdout.trim().split(/\s+/).at(-1)!;
  const filled = addThere.map((w) => (w === 'FINGERPRINT' ? fingerprint : w === 'NAME' ? 'd' : w));
  const added = await cli([...filled, '--home', homeR]);
  assert.equal(added.code, 0, added.stderr);
  await until(
    'd connected to the relay it was refused by',
    async () => (await agentCall(homeD, 'status', {})).relays[0]?.connected,
    40_000,
  );
});

test('a second agent for the same home: the hint stops the first, and then the second starts', async () => {
  const home = tempHome('hint-running');
  await startAgent(home, { name: 'r', listen: false, ui: false });
  const second = await startAgent(home, { listen: false, ui: false, expect: 'failure' });
  assertAgentFailed(second, /an agent is already running for /);
  const [stop] = quotedCommands(second.stderr);
  assert.deepEqual(stop, ['stop', '--home', home], second.stderr);
  assert.equal((await cli(stop)).code, 0);
  await startAgent(home, { name: 'r', listen: false, ui: false });
});

test("the agent's own hints name this command's --home, so they work as printed", async () => {
  const home = await plainAgentHome();
  const missing = await cli(['approve', 'nosuchid', '--home', home]);
  assert.equal(missing.code, 1);
  const [pending] = quotedCommands(missing.stderr);
  assert.deepEqual(pending, ['pending', '--home', home], missing.stderr);
  const listed = await cli(pending);
  assert.equal(listed.code, 0, listed.stderr);
});

test('ping --count with a peer that does not exist: one error with this home, not a "no reply" per ping', async () => {
  const home = await plainAgentHome();
  for (const extra of [[], ['--json']]) {
    const r = await cli(['ping', 'nosuch', '--count', '3', ...extra, '--home', home]);
    assert.equal(r.code, 1);
    // With --json the error is data on stdout too (the next test has its shape).
    if (extra.length === 0) assert.equal(r.stdout, '');
    else assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'PEER_NOT_FOUND');
    assert.equal(
      r.stderr,
      `clawbridge: no peer named 'nosuch'; \`clawbridge peers --home ${home}\` lists them\n`,
    );
  }
});

test('--json: a refused command prints its error as data on stdout, the hint as argv, and exits 1', async () => {
  const home = await plainAgentHome();
  const r = await cli(['approve', 'nosuchid', '--json', '--home', home]);
  assert.equal(r.code, 1);
  // Exactly this: the hint is the agent's (no --home added: a script adds what it needs).
  assert.equal(
    r.stdout,
    JSON.stringify(
      {
        error: {
          code: 'PEER_NOT_FOUND',
          message: "no pending request 'nosuchid'; `clawbridge pending` lists them",
          hint: { argv: ['pending'], where: 'here' },
        },
      },
      null,
      2,
    ) + '\n',
  );
  // The person watching still gets the line, its command with this home.
  assert.equal(
    r.stderr,
    `clawbridge: no pending request 'nosuchid'; \`clawbridge pending --home ${home}\` lists them\n`,
  );
  // A forward through a peer that does not exist: the same shape.
  const fwd = await cli([
    'forward',
    'add',
    '--local',
    '0',
    '--via',
    'ghost',
    '--remote',
    'x:1',
    '--json',
    '--home',
    home,
  ]);
  assert.equal(fwd.code, 1);
  const body = JSON.parse(fwd.stdout) as { error: { code: string; message: string; hint?: unknown } };
  assert.deepEqual(Object.keys(body), ['error']);
  assert.equal(body.error.code, 'PEER_NOT_FOUND');
  assert.deepEqual(body.error.hint, { argv: ['peers'], where: 'here' });
});
