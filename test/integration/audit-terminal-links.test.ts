/**
 * Which link a terminal came on, and a resume, in the audit log (issue 52: F10 and item 4). A routed
 * terminal is recorded at its target with the route it came on, though the target reaches the opener
 * directly too; a session whose path changes is logged start, resume (on the new link), end on both
 * sides; `term` taken up by its agent after a restart is a resume there, not a second start.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { AuditEvent } from '../../src-main/audit/audit-events.js';
import { agentCall, CLI, cli, peerOf, stopAll, startAgent } from '../helpers/processes.js';
import { addPeer, routeVia, startLoopbackNode } from '../helpers/loopback-nodes.js';
import { startPair, startRelay, type Pair } from './terminal-setup.js';
import { until } from '../helpers/wait.js';

after(stopAll);

const skip = process.platform === 'win32' ? 'POSIX shell commands' : false;

type TerminalEvent = Extract<AuditEvent, { kind: 'terminal' }>;

/**
 * The terminal lines of `home`'s audit log on one side, as `clawbridge log --json` prints them, read
 * through the agent (`audit.list`, which writes out what it holds first): polled, and a CLI process
 * each poll cost ~0.4 s of CPU.
 */
async function terminalEvents(home: string, side: 'served' | 'opened', since = 0): Promise<TerminalEvent[]> {
  const { events } = await agentCall(home, 'audit.list', {});
  return events.filter(
    (e): e is TerminalEvent => e.kind === 'terminal' && e.side === side && Date.parse(e.time) >= since,
  );
}

/**
 * The relay-only pair, started on first use and kept for the last test, which ends it: a relay and two
 * agents cost more CPU than these checks, and a test on it reads only the lines written since it began.
 */
let relayOnly: Pair | undefined;
const relayOnlyPair = async (): Promise<Pair> => (relayOnly ??= await startPair({ relayOnly: true }));

const phases = (events: TerminalEvent[]) => events.map((e) => e.phase);

/** Runs `term` to its exit, collecting what it prints. */
function runTerm(args: string[]) {
  const child = spawn(process.execPath, [CLI, 'term', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const exit = async (timeoutMs: number) => {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      exited,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no exit; stderr: ${stderr}`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  };
  return { child, stdout: () => stdout, stderr: () => stderr, exit };
}

test('a routed terminal is recorded at its target with the route, not the direct link beside it', async () => {
  const [a, b, c] = await Promise.all([
    startLoopbackNode('a', 'f10'),
    startLoopbackNode('b', 'f10'),
    startLoopbackNode('c', 'f10'),
  ]);
  // a dials b; b knows c; c knows a (and so reaches it directly); a reaches c through b alone.
  await addPeer(a, b, 'none', true);
  await addPeer(a, c, 'none');
  await addPeer(b, a, 'relay');
  await addPeer(b, c, 'none', true);
  await addPeer(c, b, 'relay', true);
  await addPeer(c, a, 'terminal', true);
  await routeVia(a, 'c', ['b']);
  await until('c → a directly', async () => (await peerOf(c.home, 'a'))?.path === 'direct', 30_000);

  const term = await cli(['term', 'c', '--home', a.home, '--', 'sh', '-c', 'echo routed-$((6*7))']);
  assert.equal(term.code, 0, term.stderr);
  assert.match(term.stdout, /routed-42/);

  const served = await until(
    'the terminal at c, start and end',
    async () => {
      const events = await terminalEvents(c.home, 'served');
      return events.length >= 2 ? events : undefined;
    },
    30_000,
  );
  assert.deepEqual(phases(served), ['start', 'end']);
  for (const e of served) assert.equal(e.path, 'route', `${e.phase}: the link the stream came on`);
});

test(
  'a session whose relay restarts is logged start, resume, end on both sides',
  { skip, timeout: 180_000 },
  async () => {
    const pair = await relayOnlyPair();
    const loop = 'i=0; while [ $i -lt 300 ]; do echo $i; i=$((i+1)); sleep 0.02; done';
    const term = runTerm(['b', '--home', pair.homeA, '--', 'sh', '-c', loop]);
    try {
      await until('the counter to run', () => term.stdout().includes('\n20\n'), 20_000);
      await pair.relay.proc.stop();
      await until('term to say it reconnects', () => term.stderr().includes('reconnecting...'), 30_000);
      pair.relay = await startRelay(pair.relay.port);
      assert.equal(await term.exit(90_000), 0, term.stderr());
    } finally {
      term.child.kill('SIGKILL');
    }
    for (const [home, side] of [
      [pair.homeB, 'served'],
      [pair.homeA, 'opened'],
    ] as const) {
      const events = await until(
        `the ${side} session's end`,
        async () => {
          const list = await terminalEvents(home, side);
          return list.some((e) => e.phase === 'end') ? list : undefined;
        },
        30_000,
      );
      assert.equal(phases(events)[0], 'start', `${side}: ${JSON.stringify(events)}`);
      assert.equal(phases(events).at(-1), 'end', side);
      const middle = phases(events).slice(1, -1);
      assert.ok(
        middle.length >= 1 && middle.every((p) => p === 'resume'),
        `${side}: one start, a resume, one end: ${phases(events).join(', ')}`,
      );
      const resume = events.find((e) => e.phase === 'resume')!;
      assert.equal(resume.path, 'relay', `${side}: the link it resumed on`);
    }
  },
);

test(
  'term taken up by its agent after a restart is a resume there, not a second start',
  { skip, timeout: 180_000 },
  async () => {
    const pair = await startPair({ relayOnly: false });
    const term = runTerm(['b', '--home', pair.homeA, '-t']);
    let a = pair.a;
    try {
      term.child.stdin.write('MARK=kept$((6*7)); echo "set-$MARK"\n');
      await until('the shell to take the marker', () => term.stdout().includes('set-kept42'), 20_000);
      // The log batches its writes (AUDIT_BATCH_MS): a kill may take the last ones with it, as the
      // writer says. This test is about what the next agent writes, so a's start is on disk first.
      await until(
        "a's start in its log",
        async () =>
          (await terminalEvents(pair.homeA, 'opened')).some((e) => e.phase === 'start') || undefined,
        30_000,
      );
      process.kill(a.child.pid!, 'SIGKILL');
      await a.stop();
      await until('term to wait for its agent', () => term.stderr().includes('local agent stopped'), 30_000);
      a = await startAgent(pair.homeA, { name: 'a', listen: '127.0.0.1:0' });
      await until('term to carry on', () => term.stderr().includes('local agent is back'), 30_000);
      term.child.stdin.write('echo "again-$MARK"; exit 7\n');
      assert.equal(await term.exit(30_000), 7, term.stderr());
      assert.match(term.stdout(), /again-kept42/);
    } finally {
      term.child.kill('SIGKILL');
    }
    const opened = await until(
      "a's session's end",
      async () => {
        const list = await terminalEvents(pair.homeA, 'opened');
        return list.some((e) => e.phase === 'end') ? list : undefined;
      },
      30_000,
    );
    // The agent killed could not write an end; the one after it takes the session up: a resume.
    assert.deepEqual(phases(opened), ['start', 'resume', 'end']);
    await Promise.all([a.stop(), pair.b.stop(), pair.relay.proc.stop()]);
  },
);

test(
  'a shell the serving agent takes up again after a restart is a resume there, not a second start',
  { skip: process.platform !== 'linux' ? 'the session host' : false, timeout: 180_000 },
  async () => {
    // Relay only: a restarted b has a new listening port, so a's stream could come back over the
    // relay or a new direct link, whichever is up first; with one path, the line names a known one.
    const pair = await relayOnlyPair();
    const since = Date.now();
    const term = runTerm(['b', '--home', pair.homeA, '-t']);
    let b = pair.b;
    try {
      term.child.stdin.write('MARK=kept$((6*7)); echo "set-$MARK"\n');
      await until('the shell to take the marker', () => term.stdout().includes('set-kept42'), 20_000);
      process.kill(b.child.pid!, 'SIGKILL');
      await b.stop();
      b = await startAgent(pair.homeB, { name: 'b', relay: pair.relay.url, listen: false });
      term.child.stdin.write('echo "again-$MARK"\n');
      await until('the same shell to answer', () => term.stdout().includes('again-kept42'), 40_000);
      // Taken up from the session host, then a's stream came back to it: the session's lines so far.
      const served = await until(
        "b's lines for the session after its restart",
        async () => {
          const list = await terminalEvents(pair.homeB, 'served', since);
          return list.length >= 3 ? list : undefined;
        },
        30_000,
      ).catch(async (err: Error) => {
        const list = await terminalEvents(pair.homeB, 'served', since);
        throw new Error(`${err.message}: ${phases(list).join(', ')}`);
      });
      assert.deepEqual(phases(served), ['start', 'resume', 'resume']);
      assert.equal(served[1]!.reason, 'taken up by this agent after a restart');
      assert.equal(served[2]!.path, 'relay', 'the link the stream came back on');
      term.child.stdin.write('exit 7\n');
      assert.equal(await term.exit(30_000), 7, term.stderr());
    } finally {
      term.child.kill('SIGKILL');
      await Promise.all([b.stop(), pair.a.stop(), pair.relay.proc.stop()]);
    }
  },
);
