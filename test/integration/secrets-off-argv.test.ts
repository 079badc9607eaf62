/**
 * Secrets kept off command lines (issue 52 F8), with real processes: a relay given its token by
 * `--token-file` or CLAWBRIDGE_RELAY_TOKEN and an agent given it by `--relay-token-file` connect, and
 * no command line on the machine holds the token; the old `--token` / `--relay-token` still work and
 * say other users can read them; `proxy add` tells curl the password through its environment.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  agentCall,
  cli,
  startProcess,
  stopAll,
  tempHome,
  type Proc,
  startAgent,
} from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

after(stopAll);

/** Every process's command line that holds `secret`. */
function commandLinesWith(secret: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (argv.includes(secret)) found.push(`${pid}: ${argv.replace(/\0/g, ' ')}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

async function relayWith(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ proc: Proc; url: string }> {
  const proc = startProcess(
    ['relay', '--listen', '127.0.0.1:0', '--no-tls', '--home', tempHome('tokrelay'), ...args],
    env,
  );
  const m = await proc.waitForLine(/^relay listening on (ws:\/\/127\.0\.0\.1:\d+)$/m);
  return { proc, url: m[1]! };
}

async function connectedAgent(relayUrl: string, flags: string[]): Promise<{ proc: Proc; home: string }> {
  const home = tempHome('tokagent');
  const proc = await startAgent(home, { relay: relayUrl, args: flags, listen: false, ui: false });
  await until(
    'the agent on its relay',
    async () => (await agentCall(home, 'status', {})).relays[0]?.connected,
    30_000,
  ).catch((err: Error) => assert.fail(`${err.message}\n${proc.stderr()}`));
  return { proc, home };
}

test(
  'relay and agent tokens from files or the environment, on no command line',
  { skip: process.platform !== 'linux' && 'reads /proc' },
  async () => {
    const token = `tok-${Math.random().toString(36).slice(2)}-secret`;
    const file = join(tempHome('tokfile'), 'relay-token');
    writeFileSync(file, `${token}\n`, { mode: 0o600 });

    const relay = await relayWith(['--token-file', file]);
    const agent = await connectedAgent(relay.url, ['--relay-token-file', `${relay.url}=${file}`]);
    assert.deepEqual(commandLinesWith(token), []);
    assert.equal(relay.proc.stderr(), '', 'nothing to warn about');
    assert.equal(agent.proc.stderr(), '');
    // Saved: the next start needs no token flag at all.
    await agent.proc.stop();
    const again = await startAgent(agent.home, { listen: false, ui: false });
    await until(
      'back on its relay with the saved token',
      async () => (await agentCall(agent.home, 'status', {})).relays[0]?.connected,
      30_000,
    );
    await again.stop();

    // An agent without the token is refused: the relay did take it from the file.
    const home = tempHome('toknone');
    const none = await startAgent(home, { relay: relay.url, listen: false, ui: false });
    await until('the refusal', () => /requires an access token/.test(none.stderr()), 30_000);
    await none.stop();
    await relay.proc.stop();

    const fromEnv = await relayWith([], { CLAWBRIDGE_RELAY_TOKEN: token });
    const viaEnv = await connectedAgent(fromEnv.url, ['--relay-token-file', file]);
    assert.deepEqual(commandLinesWith(token), []);
    await viaEnv.proc.stop();
    await fromEnv.proc.stop();
  },
);

test('the old --token and --relay-token still work, and say other users can read them', async () => {
  const token = `old-${Math.random().toString(36).slice(2)}`;
  const relay = await relayWith(['--token', token]);
  await until('the relay warning', () => relay.proc.stderr().length > 0, 30_000);
  assert.equal(
    relay.proc.stderr(),
    'clawbridge: --token is on the command line, where other users of this machine can read it (ps); pass it with --token-file FILE or the CLAWBRIDGE_RELAY_TOKEN environment variable instead\n',
  );
  const agent = await connectedAgent(relay.url, ['--relay-token', token]);
  assert.match(
    agent.proc.stderr(),
    /^clawbridge: --relay-token is on the command line, where other users of this machine can read it \(ps\); pass it with --relay-token-file/m,
  );
  assert.doesNotMatch(
    agent.proc.stderr() + relay.proc.stderr(),
    new RegExp(token),
    'the warnings do not repeat it',
  );
  await agent.proc.stop();
  await relay.proc.stop();
});

test('proxy add tells curl the password through its environment, not --proxy', async () => {
  const home = tempHome('tokproxy');
  const agent = await startAgent(home, { listen: false, ui: false });
  const added = await cli(['proxy', 'add', '--socks', '127.0.0.1:0', '--home', home]);
  assert.equal(added.code, 0, added.stderr);
  assert.match(added.stdout, /: ALL_PROXY=socks5h:\/\/PEER:[0-9A-Za-z_-]+@127\.0\.0\.1:\d+ curl URL$/m);
  assert.doesNotMatch(added.stdout, /--proxy/);
  const help = await cli(['proxy', 'add', '--help']);
  assert.match(help.stdout, /ALL_PROXY=socks5h:\/\/PEER:SECRET@127\.0\.0\.1:1080 curl URL/);
  await agent.stop();
});
