/**
 * A download through a TCP forward survives the direct path dying halfway (issue 28, must-be-true 1;
 * ADR 0023): peer b is reachable directly only through a TCP port forward this test starts in b's
 * network namespace; SIGSTOP freezes it mid-download, so the path drops packets instead of closing (as
 * a NAT that forgot the mapping does). The forward's stream moves to the relay link that was up beside
 * direct and the download completes byte-exact (sha256). A terminal on the same peer keeps echoing,
 * its first echo after the cut long before the heartbeat would give up; the forward connection's
 * audit line then names the relay, the path it finished on. The setup is stream-resume-world.ts.
 *
 * Size: RESUME_TEST_MIB (default 200, the figure).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { netnsUnavailable } from '../helpers/netns.js';
import { agentCall, CLI, cli, peerOf } from '../helpers/processes.js';
import {
  clientScript,
  endWorld,
  expectedHash,
  logTails,
  MIB,
  nodeIn,
  own,
  progressOf,
  serverScript,
  startWorld,
} from './stream-resume-world.js';
import { until } from '../helpers/wait.js';
import { LINK_DEAD_AFTER_MS } from '../../src-main/links/peer-link-set.js';

const SIZE = Number(process.env.RESUME_TEST_MIB ?? 200) * MIB;
/** Client read rate: the whole download takes ~10 s, so the cut at half is well inside it. */
const READ_RATE = SIZE / 10;
/**
 * The first echo after the cut comes well before the heartbeat would have declared the direct path
 * dead (LINK_DEAD_AFTER_MS): the RTO judged it. The 5 s (design target 3 s) is how it goes on
 * an idle machine: printed, not asserted, since on a loaded one the scheduler decides it.
 */
const FIRST_ECHO_DEADLINE_MS = LINK_DEAD_AFTER_MS / 2;

after(endWorld);

test(
  'a download through a TCP forward survives a blackholed direct path, byte-exact over the relay',
  { timeout: 240_000 },
  async (t) => {
    const why = netnsUnavailable();
    if (why) return t.skip(why);
    const { inA, inB, homeA, a, b, freezer } = await startWorld('sr');
    const serverPort = 7624;
    const forwardPort = 7625;
    const server = nodeIn(inB, serverScript(serverPort, SIZE));
    await until('the file server', () => server.lines.includes('up'), 30_000);
    const added = await cli([
      'forward',
      'add',
      '--local',
      String(forwardPort),
      '--via',
      'b',
      '--remote',
      `127.0.0.1:${serverPort}`,
      '--name',
      'f',
      '--home',
      homeA,
    ]);
    assert.equal(added.code, 0, added.stderr);

    // A terminal on the same peer, typing a token every 100 ms (as dead-path-fallback.test.ts).
    const term = spawn(process.execPath, [CLI, 'term', 'b', '--home', homeA, '-t', '--', 'cat'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    own(term);
    const echoedAt = new Map<number, number>();
    let pendingOut = '';
    term.stdout.setEncoding('utf8').on('data', (c: string) => {
      pendingOut += c;
      const lines = pendingOut.split('\n');
      pendingOut = lines.pop()!;
      for (const line of lines) {
        const n = Number(/^tok-(\d+)\r?$/.exec(line)?.[1]);
        if (Number.isInteger(n) && !echoedAt.has(n)) echoedAt.set(n, performance.now());
      }
    });
    let next = 0;
    const typing = setInterval(() => term.stdin.write(`tok-${next++}\n`), 100);

    const want = expectedHash(SIZE);
    try {
      await until('echoes over direct', () => echoedAt.size >= 3, 20_000);
      const client = nodeIn(inA, clientScript(forwardPort, READ_RATE));
      const progress = () => progressOf(client);
      await until(
        'half of the download',
        () => progress() >= SIZE / 2 || client.lines.some((l) => /^(done|error)/.test(l)),
        60_000,
      );
      assert.equal((await peerOf(homeA, 'b'))?.path, 'direct', 'the download ran on the direct path');
      assert.ok(progress() < SIZE, 'the cut lands before the download finished');
      const cut = performance.now();
      const firstAfterCut = next;
      process.kill(freezer.pid!, 'SIGSTOP');
      console.log(`cut at ${Math.round(progress() / MIB)} MiB of ${SIZE / MIB}`);

      const echoed = await until(
        'a keystroke typed after the cut to echo',
        () => {
          const later = [...echoedAt.keys()].filter((n) => n >= firstAfterCut);
          return later.length > 0 ? Math.min(...later.map((n) => echoedAt.get(n)!)) : undefined;
        },
        30_000,
      );
      console.log(`first echo after the cut: ${Math.round(echoed - cut)} ms`);
      const end = await until(
        'the download to end',
        () => client.lines.find((l) => /^(done|error)/.test(l)),
        120_000,
      );
      console.log(`download ended ${Math.round(performance.now() - cut)} ms after the cut: ${end}`);
      assert.equal(end, `done ${SIZE} ${want}`, 'the whole file arrived, byte-exact');
      assert.equal((await peerOf(homeA, 'b'))?.path, 'relay', 'it finished over the relay');
      // The forward connection's audit line names the path it finished on, not the one it began on.
      const line = await until(
        "the forward connection's audit line",
        async () =>
          (await agentCall(homeA, 'audit.list', {})).events.find(
            (e) => e.kind === 'connection' && e.connection === 'forward',
          ),
        20_000,
      );
      assert.equal(line.path, 'relay', `the audit line: ${JSON.stringify(line)}`);
      assert.ok(echoed - cut <= FIRST_ECHO_DEADLINE_MS, `first echo ${echoed - cut} ms after the cut`);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${logTails({ a, b })}`);
    } finally {
      clearInterval(typing);
      term.kill('SIGKILL');
    }
  },
);
