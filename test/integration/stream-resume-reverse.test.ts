/**
 * A download through a reverse forward survives the direct path dying halfway (issue 28 item 1; ADR
 * 0023): a owns the forward, b listens for it, and each connection b accepts comes back to a as a
 * resumable `reverse-connect` stream. The direct path is frozen mid-download (stream-resume-world.ts);
 * the stream moves to the relay link, b's listener is asked for again there (its open connection is
 * kept meanwhile), and the download completes byte-exact (sha256).
 *
 * Size: RESUME_REVERSE_TEST_MIB (default 64, so the test stays well under 30 s of transfer).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { netnsUnavailable } from '../helpers/netns.js';
import { cli, peerOf } from '../helpers/processes.js';
import {
  clientScript,
  endWorld,
  expectedHash,
  logTails,
  MIB,
  nodeIn,
  progressOf,
  serverScript,
  startWorld,
} from './stream-resume-world.js';
import { until } from '../helpers/wait.js';

const SIZE = Number(process.env.RESUME_REVERSE_TEST_MIB ?? 64) * MIB;
/** Client read rate: the whole download takes ~8 s, so the cut at half is well inside it. */
const READ_RATE = SIZE / 8;

after(endWorld);

test(
  'a download through a reverse forward survives a blackholed direct path, byte-exact over the relay',
  { timeout: 240_000 },
  async (t) => {
    const why = netnsUnavailable();
    if (why) return t.skip(why);
    const { inA, inB, homeA, homeB, a, b, freezer } = await startWorld('srr');
    const allowed = await cli(['peers', 'allow', 'a', 'listen', '--home', homeB]);
    assert.equal(allowed.code, 0, allowed.stderr);
    const serverPort = 7624;
    const listenPort = 7626;
    // The file server is on a's side; b listens for a, and its clients download from a's server.
    const server = nodeIn(inA, serverScript(serverPort, SIZE));
    await until('the file server', () => server.lines.includes('up'), 30_000);
    const added = await cli([
      'forward',
      'add',
      '--reverse',
      '--via',
      'b',
      '--listen',
      String(listenPort),
      '--to',
      `127.0.0.1:${serverPort}`,
      '--name',
      'rev',
      '--home',
      homeA,
    ]);
    assert.equal(added.code, 0, added.stderr);

    const want = expectedHash(SIZE);
    try {
      const client = nodeIn(inB, clientScript(listenPort, READ_RATE));
      await until(
        'half of the download',
        () => progressOf(client) >= SIZE / 2 || client.lines.some((l) => /^(done|error)/.test(l)),
        60_000,
      );
      assert.equal((await peerOf(homeA, 'b'))?.path, 'direct', 'the download ran on the direct path');
      assert.ok(progressOf(client) < SIZE, 'the cut lands before the download finished');
      const cut = performance.now();
      process.kill(freezer.pid!, 'SIGSTOP');
      console.log(`cut at ${Math.round(progressOf(client) / MIB)} MiB of ${SIZE / MIB}`);
      const end = await until(
        'the download to end',
        () => client.lines.find((l) => /^(done|error)/.test(l)),
        120_000,
      );
      console.log(`download ended ${Math.round(performance.now() - cut)} ms after the cut: ${end}`);
      assert.equal(end, `done ${SIZE} ${want}`, 'the whole file arrived, byte-exact');
      // b, whose stream opened it and resumed it, judged the direct link dead; a, the exit, sent nothing
      // more on it after the stream moved, so only its idle heartbeat (15 s) would tell it.
      assert.equal((await peerOf(homeB, 'a'))?.path, 'relay', 'it finished over the relay');
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${logTails({ a, b })}`);
    }
  },
);
