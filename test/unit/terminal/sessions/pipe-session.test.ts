/**
 * Sessions on pipes (`pty: false`, terminal/sessions/pipe-session.ts), client and server over real muxes on
 * in-memory links: input byte for byte with end-of-file, stdout and stderr apart (also across a
 * resume), exit status after the last byte, hang-up of the whole process group, and a lost path while
 * input is in flight: the input goes on byte-exact where the peer counts it, and where it does not (an
 * older peer) the session ends instead of leaving a hole in the program's input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { TerminalHarness, Viewer } from '../terminal-fixtures.js';
import { isAlive } from '../../../helpers/process-alive.js';
import { until } from '../../../helpers/wait.js';
import { failTest } from '../../../helpers/unawaited.js';

const skip = process.platform === 'win32' ? 'POSIX shell commands' : false;

/** A session on pipes running `command`, with a viewer that records it. */
async function onPipes(h: TerminalHarness, command: string[]) {
  const client = h.client();
  const v = new Viewer(client);
  await client.start({ command, cols: 80, rows: 24, pty: false });
  return { client, v };
}

test('every byte value goes in as it is, EOF ends the input, no terminal is involved', { skip }, async () => {
  const h = new TerminalHarness();
  try {
    const { client, v } = await onPipes(h, ['sh', '-c', '[ -t 0 ] || echo no-tty >&2; od -An -tx1 -v']);
    assert.equal(client.pipes, true);
    client.resumeOutput();
    // Ctrl-C, Ctrl-\, Ctrl-D, Ctrl-Z and \r among them: a PTY would turn those into signals and line ends.
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    client.write(all);
    client.endInput();
    await until('the command to finish', () => v.done, 10_000);
    assert.deepEqual(v.exit, { code: 0 });
    assert.equal(v.stderr, 'no-tty\n');
    const hex = v.stdout.toString('utf8').trim().split(/\s+/);
    assert.deepEqual(
      hex,
      [...all].map((b) => b.toString(16).padStart(2, '0')),
    );
  } finally {
    h.close();
  }
});

test('stdout and stderr stay apart across a broken path, each line once', { skip }, async () => {
  const h = new TerminalHarness();
  try {
    const { client, v } = await onPipes(h, [
      'sh',
      '-c',
      'i=0; while [ $i -lt 40 ]; do echo out$i; echo err$i >&2; i=$((i+1)); sleep 0.01; done',
    ]);
    client.endInput();
    client.resumeOutput();
    await until('some output', () => v.bytes > 40);
    h.breakLink();
    h.connect();
    await until('the command to finish', () => v.done, 15_000);
    assert.deepEqual(v.exit, { code: 0 }, v.failure?.message);
    assert.ok(v.statuses.includes('resumed'), 'it did resume');
    const lines = (text: string) => text.split('\n').filter(Boolean);
    const want = (p: string) => Array.from({ length: 40 }, (_, i) => `${p}${i}`);
    assert.deepEqual(lines(v.stdout.toString('utf8')), want('out'));
    assert.deepEqual(lines(v.stderr), want('err'));
  } finally {
    h.close();
  }
});

test('hanging up ends the program and what it started; a missing command exits 127', { skip }, async () => {
  const h = new TerminalHarness();
  try {
    const { client, v } = await onPipes(h, ['sh', '-c', 'sleep 30 & echo $!; wait']);
    client.resumeOutput();
    await until('the pid of the background sleep', () => /^\d+\n/.test(v.text));
    const pid = Number(v.text.trim());
    assert.ok(isAlive(pid), 'isAlive(pid)');
    client.close().catch(failTest('client.close'));
    await until('the background sleep to be gone', () => !isAlive(pid), 10_000);

    const { client: missing, v: m } = await onPipes(h, ['no-such-command-here']);
    missing.resumeOutput();
    await until('the command to finish', () => m.done);
    assert.deepEqual(m.exit, { code: 127 });
    assert.equal(m.stderr, 'clawbridge: no-such-command-here: command not found\n');
    assert.equal(m.stdout.length, 0);
  } finally {
    h.close();
  }
});

test(
  'a path lost while input is in flight: the resume says how much input the program took, and the rest goes again, byte-exact',
  { skip },
  async () => {
    const h = new TerminalHarness();
    try {
      const { client, v } = await onPipes(h, ['sha256sum']);
      client.resumeOutput();
      const input = randomBytes(3 * 1024 * 1024);
      let at = 0;
      let broken = false;
      // Written as a viewer does: a chunk at a time, waiting for 'drain' when told to.
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`stuck at byte ${at}`)), 20_000);
        const pump = () => {
          while (at < input.length) {
            const chunk = input.subarray(at, at + 16 * 1024);
            at += chunk.length;
            if (!broken && at >= input.length / 3) {
              // Mid-upload, with input in flight: the path breaks and another comes up.
              broken = true;
              h.breakLink();
              h.connect();
            }
            if (!client.write(chunk)) return;
          }
          clearTimeout(timer);
          resolve();
        };
        client.on('drain', pump);
        pump();
      });
      client.endInput();
      await until('the command to finish', () => v.done, 20_000);
      assert.deepEqual(v.exit, { code: 0 }, v.failure?.message);
      assert.ok(v.statuses.includes('resumed'), 'it did resume');
      assert.equal(v.stdout.toString('utf8'), `${createHash('sha256').update(input).digest('hex')}  -\n`);
    } finally {
      h.close();
    }
  },
);

test(
  'a peer that does not count input: a path lost while input is in flight ends the session and says the input may be incomplete',
  { skip },
  async () => {
    const h = new TerminalHarness({ inputResume: false });
    try {
      // It never reads: the input stays unacknowledged.
      const { client, v } = await onPipes(h, ['sleep', '30']);
      client.resumeOutput();
      const link = h.link!.a.stats;
      const sentBefore = link.bytesSent;
      client.write(Buffer.alloc(256 * 1024, 0x61));
      // The input reaches the session end before the link breaks: the link has carried it all.
      await until(
        'the input delivered over the link',
        () => link.bytesSent - sentBefore >= 256 * 1024 && link.queuedBytes === 0,
        10_000,
      );
      h.breakLink();
      h.connect();
      await until('the session to fail', () => v.done, 10_000);
      assert.equal(v.exit, undefined);
      assert.match(v.failure?.message ?? '', /while sending input .*the input may be incomplete/);
    } finally {
      h.close();
    }
  },
);
