/**
 * Issue 52 F3, for real: a trusted peer that sends hostile text to a real agent, and the owner's CLI
 * commands that show it. A hello announcing `127.0.0.1:1` followed by escape sequences is refused
 * (it was saved in config.json and printed by `ping`); a reverse-listen answer whose `bound` carries
 * OSC 52 (a clipboard write) is malformed (it was printed by `forward add --reverse`); a refusal that
 * forges a line, and a terminal whose command is an escape sequence, reach `forward list`,
 * `connections`, `connections close` and `log` escaped, `--json` included, and `log --json` still
 * parses to the command as the peer sent it.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { ConnectionInfo, StatusResult } from '../../src-main/api/contract.js';
import type { ForwardInfo } from '../../src-main/forwards/forwards-contract.js';
import type { AuditEvent } from '../../src-main/audit/audit-events.js';
import {
  C1_DEL_BIDI,
  ESCAPES,
  hostilePeer,
  TERMINAL_CONTROL,
  type HostilePeer,
} from '../helpers/hostile-peer.js';
import { testIdentity } from '../helpers/identities.js';
import { cli, stopAll, tempHome, type CliResult, startAgent } from '../helpers/processes.js';
import { freePort } from '../helpers/ports.js';
import { until } from '../helpers/wait.js';

after(stopAll);

/** No control a terminal acts on, and no line that starts with the forged text. */
function assertPlain(what: string, r: CliResult): void {
  for (const [name, text] of [
    ['stdout', r.stdout],
    ['stderr', r.stderr],
  ] as const) {
    assert.equal(TERMINAL_CONTROL.test(text), false, `${what} ${name}: ${JSON.stringify(text)}`);
    assert.equal(/^FAKE-LINE/m.test(text), false, `${what} ${name} forged a line: ${text}`);
  }
}

test('what a hostile peer sends reaches no terminal control on any CLI output', async () => {
  const home = tempHome('hostile-a');
  await startAgent(home, { name: 'a', listen: '127.0.0.1:0', env: { CLAWBRIDGE_TEST: '1' } });
  const run = async (args: string[]): Promise<CliResult> => {
    const r = await cli([...args, '--home', home]);
    assertPlain(args.join(' '), r);
    return r;
  };
  const json = async <T>(args: string[]): Promise<T> =>
    JSON.parse((await run([...args, '--json'])).stdout) as T;
  const status = await until(
    'agent a listening',
    async () => {
      const s = await json<StatusResult>(['status']);
      return typeof s.listen === 'string' && s;
    },
    30_000,
  );
  const identity = await testIdentity('hostile-peer');
  await run(['peers', 'add', identity.fingerprint, '--name', 'h', '--allow', 'terminal,forward,listen']);
  let h: HostilePeer | undefined;
  try {
    h = await hostilePeer(identity, status.listen!, status.fingerprint);

    // 1. The hello: an address with escape sequences after it is no address; the hello is refused.
    const hello = await h.hello([`127.0.0.1:1${ESCAPES}`]);
    assert.ok(hello instanceof Error, 'the hello is refused');
    assert.match(hello.message, /malformed hello: addresses\.0: an address is not HOST:PORT/);
    await until(
      'h online',
      async () =>
        (await json<{ name: string; state: string }[]>(['peers'])).some((p) => p.state === 'online'),
      30_000,
    );
    for (const args of [['ping', 'h'], ['peers'], ['status']]) {
      await run(args);
      await run([...args, '--json']);
    }
    const config = readFileSync(join(home, 'config.json'), 'utf8');
    assert.equal(/\\u001b|FAKE-LINE/.test(config), false, 'nothing of it saved');

    // 2. A reverse forward: the peer's answer names where it listens with OSC 52 after it.
    await run(['forward', 'add', '--reverse', '--via', 'h', '--listen', '9000', '--to', '127.0.0.1:1']);
    const reverse = await json<{ error: { message: string } }>([
      'forward',
      'add',
      '--reverse',
      '--via',
      'h',
      '--listen',
      '9001',
      '--to',
      '127.0.0.1:1',
    ]);
    assert.match(
      reverse.error.message,
      /h did not listen on 127\.0\.0\.1:9001: reverse-listen answer is malformed/,
    );

    // 3. A forward whose connections the peer refuses with a reason that forges a line.
    const port = await freePort();
    await run(['forward', 'add', '--local', String(port), '--via', 'h', '--remote', '127.0.0.1:9']);
    const client = connect(port, '127.0.0.1');
    client.on('error', () => undefined);
    await new Promise((resolve) => client.once('close', resolve));
    await until(
      'the refusal as the forward’s last problem',
      async () => (await json<ForwardInfo[]>(['forward', 'list'])).some((f) => f.lastProblem),
      30_000,
    );
    const list = await run(['forward', 'list']);
    assert.match(list.stdout, /last problem at .*cannot connect \\u\{001b\}\]0;TITLE/);

    // 4. A terminal whose command is an escape sequence: listed, closed, logged.
    const command = ['sh', '-c', `sleep 30 # ${ESCAPES} ${C1_DEL_BIDI}`];
    await h.terminal(command);
    const terminal = await until(
      'the terminal in connections',
      async () => (await json<ConnectionInfo[]>(['connections'])).find((c) => c.kind === 'terminal-served'),
      30_000,
    );
    await run(['connections']);
    const closed = await run(['connections', 'close', terminal.id]);
    assert.match(closed.stdout, /^closed terminal-served connection .*\\u\{001b\}\]0;TITLE/);
    await run(['log']);
    const events = await json<AuditEvent[]>(['log']);
    // Escaped for the terminal, and still the very command the peer sent.
    assert.ok(
      events.some((e) => e.kind === 'terminal' && e.what.includes('\x9b2K\x7f\u202eevil')),
      JSON.stringify(events.filter((e) => e.kind === 'terminal')),
    );
  } finally {
    h?.close();
  }
});
