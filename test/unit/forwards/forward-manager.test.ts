/**
 * ForwardManager over a real (unstarted) agent and its node state on disk, dialing through an in-memory exit
 * peer: TCP forwards that count, ports that are freed, clear messages for taken ports, listeners that
 * come back from settings, and TCP forward failures reported as log line + notice.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { composeAgent } from '../../../src-main/app/compose-agent.js';
import { NodeState } from '../../../src-main/state/node-state.js';
import { memoryBacking } from '../../helpers/memory-state.js';
import { isClawError } from '../../../src-main/core/errors.js';
import { localAddress } from '../../../src-main/forwards/forward-api.js';
import { ForwardManager } from '../../../src-main/forwards/forward-manager.js';
import type { RetryTimers } from '../../../src-main/forwards/retry-schedule.js';
import { testIdentity } from '../../helpers/identities.js';
import { closedPort, echoServer, memoryExit, memoryLogger, RawClient, type ExitOptions } from './fixtures.js';
import { tempDir } from '../../helpers/temp-dir.js';
import type { NoticeEvent } from '../../../src-main/api/contract.js';
import { agentContract, agentVocabulary } from '../../helpers/agent-contract.js';
import { fakeClock } from '../../helpers/fake-clock.js';
import { until } from '../../helpers/wait.js';
import { forwardDeps, savedForwardsOf } from '../../helpers/saved-forwards.js';

const echo = await echoServer(' bye');
const cleanups: (() => unknown)[] = [];
after(async () => {
  echo.server.close();
  for (const c of cleanups) await c();
});

async function setup(
  home = tempDir('cb-fwd-'),
  exitOpts: ExitOptions = {},
  timers?: RetryTimers,
  state: NodeState = NodeState.open(home, undefined, agentVocabulary),
) {
  const { log, lines } = memoryLogger();
  const agent = composeAgent({ identity: await testIdentity('fwd'), state, logger: log });
  const notices: string[] = [];
  agent.notices.events.on('notice', (n) => notices.push(n.message));
  const exit = memoryExit(exitOpts);
  const manager = new ForwardManager(forwardDeps(agent), exit.dialer, timers);
  cleanups.push(() => manager.stop(), exit.close);
  return { home, agent, manager, notices, lines };
}

const portOf = (address: string) => Number(address.split(':').pop());

/** True when something can listen on 127.0.0.1:port right now. */
async function portFree(port: number): Promise<boolean> {
  const s = createServer();
  return new Promise((resolve) => {
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

test('a TCP forward carries bytes, counts them, lists in the documented shape, and is saved', async () => {
  const { manager, agent } = await setup();
  await manager.add({
    name: 'web',
    kind: 'tcp',
    listen: '127.0.0.1:0',
    via: 'b',
    remote: `127.0.0.1:${echo.port}`,
  });
  const [info] = manager.forwards();
  const client = await RawClient.open(portOf(info!.local));
  client.write('hello');
  assert.equal((await client.read(5)).toString(), 'hello');
  client.end();
  assert.equal((await client.readToEnd()).toString(), ' bye');
  const assertForwards = () =>
    assert.deepEqual(manager.forwards(), [
      {
        name: 'web',
        direction: 'local',
        local: info!.local,
        via: 'b',
        viaFingerprint: null,
        remote: `127.0.0.1:${echo.port}`,
        state: 'listening',
        open: 0,
        connections: 1,
        bytesIn: 9,
        bytesOut: 5,
      },
    ]);
  await until("the forward's counts after the connection", () => {
    assertForwards();
    return true;
  });
  // Added on port 0, it is saved with the port it got: the same address after a restart.
  assert.deepEqual(agent.state.get().forwards, [
    {
      name: 'web',
      kind: 'tcp',
      listen: info!.local,
      via: 'b',
      remote: `127.0.0.1:${echo.port}`,
      enabled: true,
    },
  ]);
});

test('switched off: port freed and saved with enabled false; a failed switch-on stays off; on binds again', async () => {
  const { agent, manager } = await setup();
  // A fixed port (a free one found through port 0), so switching on binds the same one again.
  await manager.add({ name: 'probe', kind: 'socks', listen: '127.0.0.1:0', via: 'b' });
  const local = manager.proxies()[0]!.local;
  await manager.remove('probe', ['socks']);
  await manager.add({ name: 's', kind: 'socks', listen: local, via: 'b' });
  const off = await manager.setEnabled('s', false);
  assert.equal(await portFree(portOf(local)), true);
  assert.equal(off.state, 'off');
  assert.equal(manager.proxies()[0]!.state, 'off');
  assert.equal(agent.state.get().forwards[0]!.enabled, false);
  // The port is free: another listener can take it (and give it back).
  await manager.add({ name: 'h', kind: 'http', listen: local, via: 'b' });
  await assert.rejects(manager.setEnabled('s', true), (err) => isClawError(err, 'ADDRESS_IN_USE'));
  assert.equal(manager.proxies().find((p) => p.name === 's')!.state, 'off', 'a failed switch-on stays off');
  await manager.remove('h', ['http']);
  assert.equal((await manager.setEnabled('s', true)).state, 'listening');
  assert.equal(agent.state.get().forwards[0]!.enabled, true);
  await assert.rejects(manager.setEnabled('nope', true), /no forward or proxy named 'nope'/);
  await manager.stop();
});

test('a taken port is one clear line; a taken name too', async () => {
  const { manager } = await setup();
  await manager.add({ name: 's', kind: 'socks', listen: '127.0.0.1:0', via: 'b' });
  const local = manager.proxies()[0]!.local;
  await assert.rejects(
    manager.add({ name: 'h', kind: 'http', listen: local, via: 'b' }),
    (err) => isClawError(err, 'ADDRESS_IN_USE') && err.message.startsWith(`${local} is already in use`),
  );
  await assert.rejects(
    manager.add({ name: 's', kind: 'http', listen: '127.0.0.1:0', via: 'b' }),
    /named 's' already exists/,
  );
  assert.deepEqual(
    manager.proxies().map((p) => p.name),
    ['s'],
  );
});

test('remove frees the port at once and forgets the listener; wrong kind or name is an error', async () => {
  const { manager, agent } = await setup();
  await manager.add({
    name: 'web',
    kind: 'tcp',
    listen: '127.0.0.1:0',
    via: 'b',
    remote: `127.0.0.1:${echo.port}`,
  });
  const port = portOf(manager.forwards()[0]!.local);
  const open = await RawClient.open(port); // an open connection must not keep the port
  await assert.rejects(manager.remove('web', ['socks', 'http']), {
    message: "'web' is a forward, not a proxy: use `clawbridge forward rm web`",
    hint: { argv: ['forward', 'rm', 'web'], where: 'here', at: [37, 64] },
  });
  // So is switching it off as a proxy (`proxy disable web`): refused, and it keeps listening.
  await assert.rejects(manager.setEnabled('web', false, ['socks', 'http']), {
    message: "'web' is a forward, not a proxy: use `clawbridge forward disable web`",
    hint: { argv: ['forward', 'disable', 'web'], where: 'here', at: [37, 69] },
  });
  assert.equal(manager.forwards()[0]?.state, 'listening');
  await manager.remove('web', ['tcp']);
  await open.closedByServer();
  assert.equal(await portFree(port), true);
  assert.deepEqual(manager.forwards(), []);
  assert.deepEqual(agent.state.get().forwards, []);
  await assert.rejects(manager.remove('web', ['tcp']), {
    message: "no forward named 'web'; `clawbridge forward list` shows them",
    hint: { argv: ['forward', 'list'], where: 'here', at: [24, 49] },
  });
});

test('saved listeners come back; one whose port is taken shows error, a retry and a notice; stop frees ports', async () => {
  const first = await setup();
  const port = await closedPort();
  const blockedPort = await closedPort();
  await first.manager.add({ name: 'p', kind: 'socks', listen: `127.0.0.1:${port}` });
  await first.manager.add({ name: 'q', kind: 'http', listen: `127.0.0.1:${blockedPort}`, via: 'b' });
  await first.manager.stop();
  assert.equal(await portFree(port), true);

  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(blockedPort, '127.0.0.1', () => r()));
  cleanups.push(() => blocker.close());
  const second = await setup(first.home);
  await second.manager.restore();
  assert.deepEqual(
    second.manager.proxies().map(({ name, kind, local, via, state }) => ({ name, kind, local, via, state })),
    [
      { name: 'p', kind: 'socks', local: `127.0.0.1:${port}`, via: null, state: 'listening' },
      { name: 'q', kind: 'http', local: `127.0.0.1:${blockedPort}`, via: 'b', state: 'error' },
    ],
  );
  assert.equal(
    second.manager.proxies()[1]!.error,
    `address 127.0.0.1:${blockedPort} in use; retrying every 30 s at most`,
  );
  assert.ok(second.manager.proxies()[1]!.retryAt, 'second.manager.proxies()[1]!.retryAt');
  assert.deepEqual(second.notices, [
    `proxy q: 127.0.0.1:${blockedPort} is in use; retrying every 30 s at most`,
  ]);
  assert.equal(
    second.lines.some((l) => l.level >= 40),
    false,
    'the taken port is a notice, not a warning log line',
  );
  await second.manager.stop();
  assert.equal(await portFree(port), true);
});

test('a TCP forward that cannot connect closes the client and says why in a notice, logged once', async () => {
  const { manager, notices, lines } = await setup(undefined, { allow: [] });
  await manager.add({
    name: 'db',
    kind: 'tcp',
    listen: '127.0.0.1:0',
    via: 'b',
    remote: `127.0.0.1:${echo.port}`,
  });
  const client = await RawClient.open(portOf(manager.forwards()[0]!.local));
  client.write('x');
  assert.equal((await client.readToEnd()).length, 0);
  const line =
    'forward db: permission denied: b does not allow forwards from a (its owner can run `clawbridge peers allow a forward` there)';
  assert.deepEqual(notices, [line]);
  // Shown as a notice, so logged at info: a warning would print it twice on the CLI agent's stderr.
  assert.deepEqual(
    lines.filter((l) => l.msg === line).map((l) => l.level),
    [30],
  );
});

test('a forward lists why its last connection failed until a later one opens', async () => {
  const allow: ExitOptions['allow'] = [];
  const { manager } = await setup(undefined, { allow });
  await manager.add({
    name: 'db',
    kind: 'tcp',
    listen: '127.0.0.1:0',
    via: 'b',
    remote: `127.0.0.1:${echo.port}`,
  });
  const port = portOf(manager.forwards()[0]!.local);
  assert.equal(manager.forwards()[0]!.lastProblem, undefined, 'nothing went wrong yet');
  const refused = await RawClient.open(port);
  refused.write('x');
  await refused.readToEnd();
  const problem = manager.forwards()[0]!.lastProblem;
  assert.match(problem?.message ?? '', /^permission denied: b does not allow forwards from a/);
  assert.ok(Math.abs(Date.parse(problem?.at ?? '') - Date.now()) < 60_000, 'stamped with the time');
  allow.push('forward');
  const fine = await RawClient.open(port);
  fine.write('hi');
  fine.end();
  assert.equal((await fine.readToEnd()).toString(), 'hi bye');
  assert.equal(manager.forwards()[0]!.lastProblem, undefined, 'a connection that opened clears it');
});

test('a notice nothing shows (the desktop app has no stderr reader) is logged as a warning', async () => {
  const { log, lines } = memoryLogger();
  const agent = composeAgent({
    identity: await testIdentity('fwd'),
    state: NodeState.open(tempDir('cb-fwd-'), undefined, agentVocabulary),
    logger: log,
  });
  agent.notices.notice({ kind: 'relay', message: 'relay x is unreachable' }, { relay: 'x' });
  const off = agent.notices.events.on('notice', () => undefined);
  agent.notices.notice({ kind: 'relay', message: 'relay y is unreachable' }, { relay: 'y' });
  off();
  assert.deepEqual(
    lines.filter((l) => /^relay . is unreachable$/.test(String(l.msg))).map((l) => [l.msg, l.level, l.relay]),
    [
      ['relay x is unreachable', 40, 'x'],
      ['relay y is unreachable', 30, 'y'],
    ],
  );
});

test('listen addresses: a bare port is loopback; other addresses need the explicit flag', () => {
  assert.deepEqual(localAddress('8080', undefined), { listen: '127.0.0.1:8080', port: 8080 });
  assert.deepEqual(localAddress('[::1]:8080', undefined), { listen: '[::1]:8080', port: 8080 });
  // Loopback however it is spelled: the address counts, not the text.
  for (const spelled of [
    '[0:0:0:0:0:0:0:1]:8080',
    '[::ffff:7f00:1]:8080',
    '127.3.2.1:8080',
    'LOCALHOST:8080',
  ]) {
    assert.equal(localAddress(spelled, undefined).port, 8080, spelled);
  }
  assert.throws(() => localAddress('[::2]:8080', undefined), /is not a loopback address/);
  assert.throws(
    () => localAddress('0.0.0.0:8080', undefined),
    /^ClawError: 0\.0\.0\.0:8080 is not a loopback address: .*add --allow-remote-bind/,
  );
  assert.deepEqual(localAddress('0.0.0.0:8080', true), { listen: '0.0.0.0:8080', port: 8080 });
});

test('a saved forward whose port was taken retries with backoff and comes up by itself once the port is free', async () => {
  const first = await setup();
  const port = await closedPort();
  await first.manager.add({
    name: 'web',
    kind: 'tcp',
    listen: `127.0.0.1:${port}`,
    via: 'b',
    remote: `127.0.0.1:${echo.port}`,
  });
  await first.manager.stop();

  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
  cleanups.push(() => blocker.listening && blocker.close());
  const clock = fakeClock(1_000_000);
  const second = await setup(first.home, {}, clock);
  await second.manager.restore();
  const web = () => second.manager.forwards()[0]!;
  assert.equal(web().state, 'error');
  const stillTaken = `address 127.0.0.1:${port} in use; retrying every 30 s at most`;
  assert.equal(web().error, stillTaken);
  assert.equal(web().retryAt, new Date(clock.now() + 1000).toISOString());

  // Still taken: the waits grow 1, 2, 4 s; retryAt follows, and the listed error, which a tray
  // label or notification keeps showing between status events, names no countdown that goes stale.
  assert.equal(await clock.runNext(), 1000);
  await until('retryAt 2 s on', () => web().retryAt === new Date(clock.now() + 2000).toISOString());
  assert.equal(web().error, stillTaken);
  assert.equal(await clock.runNext(), 2000);
  await until('retryAt 4 s on', () => web().retryAt === new Date(clock.now() + 4000).toISOString());
  assert.equal(web().error, stillTaken);

  await new Promise<void>((r) => blocker.close(() => r()));
  assert.equal(await clock.runNext(), 4000);
  await until("web().state === 'listening'", () => web().state === 'listening', 3000);
  assert.equal(web().error, undefined);
  assert.equal(web().retryAt, undefined);
  assert.equal(clock.pending(), 0, 'no retry left once it listens');
  assert.deepEqual(second.notices, [
    `forward web: 127.0.0.1:${port} is in use; retrying every 30 s at most`,
    `forward web: listening on 127.0.0.1:${port} now`,
  ]);
  const client = await RawClient.open(port);
  client.write('hi');
  assert.equal((await client.read(2)).toString(), 'hi');
  client.end();
  assert.equal((await client.readToEnd()).toString(), ' bye');
});

test('a retrying forward that is switched off or removed stops retrying', async () => {
  const first = await setup();
  const [p1, p2] = [await closedPort(), await closedPort()];
  await first.manager.add({ name: 'a', kind: 'socks', listen: `127.0.0.1:${p1}` });
  await first.manager.add({ name: 'b', kind: 'http', listen: `127.0.0.1:${p2}`, via: 'b' });
  await first.manager.stop();
  const blockers = [createServer(), createServer()];
  await Promise.all(
    blockers.map((b, i) => new Promise<void>((r) => b.listen([p1, p2][i], '127.0.0.1', () => r()))),
  );
  const clock = fakeClock(1_000_000);
  const second = await setup(first.home, {}, clock);
  await second.manager.restore();
  assert.equal(clock.pending(), 2);
  await second.manager.setEnabled('a', false);
  assert.equal(clock.pending(), 1);
  assert.equal(second.manager.proxies().find((p) => p.name === 'a')!.state, 'off');
  await second.manager.remove('b', ['http']);
  assert.equal(clock.pending(), 0);
  for (const b of blockers) await new Promise<void>((r) => b.close(() => r()));
  assert.equal(await clock.runNext(), undefined);
  assert.equal(await portFree(p1), true);
  assert.equal(await portFree(p2), true);
});

test('a save that fails changes nothing: no unsaved forward runs, a removed one stays, a switch stays', async () => {
  const backing = memoryBacking();
  const realUpdate = backing.update.bind(backing);
  let failNext = false;
  backing.update = (change) => {
    if (failNext) {
      failNext = false;
      throw new Error('EACCES: the disk said no');
    }
    return realUpdate(change);
  };
  const { manager, agent } = await setup(undefined, {}, undefined, new NodeState(backing));
  const port = await closedPort();
  const web = {
    name: 'web',
    kind: 'tcp' as const,
    listen: `127.0.0.1:${port}`,
    via: 'b',
    remote: `127.0.0.1:${echo.port}`,
  };

  failNext = true;
  await assert.rejects(manager.add(web), /the disk said no/);
  assert.deepEqual(manager.forwards(), []);
  assert.equal(await portFree(port), true, 'the port of the forward that was not saved is free');

  await manager.add(web);
  failNext = true;
  await assert.rejects(manager.remove('web', ['tcp']), /the disk said no/);
  assert.equal(manager.forwards()[0]?.state, 'listening');
  failNext = true;
  await assert.rejects(manager.setEnabled('web', false), /the disk said no/);
  assert.equal(manager.forwards()[0]?.state, 'listening');
  assert.equal(agent.state.get().forwards[0]?.enabled, true);

  await manager.setEnabled('web', false);
  failNext = true;
  await assert.rejects(manager.setEnabled('web', true), /the disk said no/);
  assert.equal(manager.forwards()[0]?.state, 'off');
  assert.equal(await portFree(port), true);
});

test('a listener an older release saved on port 0 keeps the port it gets from then on', async () => {
  const home = tempDir('cb-fwd-port0-');
  savedForwardsOf(NodeState.open(home, undefined, agentVocabulary)).saveForward({
    name: 'old',
    kind: 'socks',
    listen: '127.0.0.1:0',
    enabled: true,
  });
  const first = await setup(home);
  await first.manager.restore();
  const bound = first.manager.proxies()[0]!.local;
  assert.notEqual(portOf(bound), 0);
  assert.equal(first.agent.state.get().forwards[0]?.listen, bound);
  await first.manager.stop();
  const second = await setup(home);
  await second.manager.restore();
  assert.equal(second.manager.proxies()[0]!.local, bound, 'the same address after a restart');
  await second.manager.stop();

  // One saved on port 0 and off: switched on, it keeps the port it gets too.
  const reset = savedForwardsOf(NodeState.open(home, undefined, agentVocabulary));
  reset.removeForward('old');
  reset.saveForward({ name: 'off0', kind: 'socks', listen: '127.0.0.1:0', enabled: false });
  const third = await setup(home);
  await third.manager.restore();
  await third.manager.setEnabled('off0', true);
  const got = third.manager.proxies()[0]!.local;
  assert.notEqual(portOf(got), 0);
  assert.deepEqual(third.agent.state.get().forwards[0], {
    name: 'off0',
    kind: 'socks',
    listen: got,
    enabled: true,
  });
});

test('the window hears the notices about forwards and proxies, not the others, and the log keeps them', async () => {
  const { agent, lines } = await setup();
  const heard: NoticeEvent[] = [];
  // The kinds the API's subscribers get: what the domains' contract pieces send them.
  const off = agent.notices.onNoticeOf(agentContract.clientNotices, (n) => heard.push(n));
  agent.notices.notice({ kind: 'relay', message: 'relay ws://r:1 is unreachable; retrying' });
  // Routed by kind, whatever the log fields say.
  agent.notices.notice(
    { kind: 'forward', message: 'forward web: permission denied: b does not allow forwards from a' },
    { forward: 'web' },
  );
  agent.notices.notice({ kind: 'proxy', message: 'proxy sx: open connections through b were cut' });
  agent.notices.notice({ kind: 'pairing', message: 'pairing with b failed' }, { forward: 'misleading' });
  off();
  assert.deepEqual(heard, [
    { kind: 'forward', message: 'forward web: permission denied: b does not allow forwards from a' },
    { kind: 'proxy', message: 'proxy sx: open connections through b were cut' },
  ]);
  // The window listening changes nothing in the log: each notice is still logged.
  assert.equal(lines.filter((l) => /^(relay ws|forward web|proxy sx)/.test(l.msg)).length, 3);
});
