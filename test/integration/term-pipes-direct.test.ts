/**
 * `clawbridge term -t` driven through pipes, as a script drives it (ADR 0038): on Linux its agent opens
 * term's stdin and stdout pipes (/proc/PID/fd/N) and reads the input and writes the output itself, so
 * it flows while term is stopped; the input's end still reaches the program as Ctrl-D, and a reader
 * that goes away still ends term as SIGPIPE would have. The pipes here are named pipes (a Node child's
 * 'pipe' stdio is a socket, which cannot be opened by name, and stays with term).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { constants, mkdtempSync, openSync, closeSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { CLI, stopAll } from '../helpers/processes.js';
import { SIGPIPE_STATUS } from '../../src-main/cli/output-errors.js';
import { startPair } from './terminal-setup.js';
import { until } from '../helpers/wait.js';

after(stopAll);

const skip = process.platform === 'linux' ? false : 'Linux names another process’s pipes under /proc';

/** `term -t b -- sh -c line` on two fresh named pipes: our ends, what came out, and its exit status. */
function termOnPipes(homeA: string, line: string) {
  const dir = mkdtempSync(join(tmpdir(), 'cb-pipes-'));
  execFileSync('mkfifo', [join(dir, 'in'), join(dir, 'out')]);
  // Each side opens without waiting for the other (O_NONBLOCK), and only for the way it uses the pipe:
  // a child holding a pipe both ways would never see its end, nor its reader go away.
  const childIn = openSync(join(dir, 'in'), constants.O_RDONLY | constants.O_NONBLOCK);
  const writer = new Socket({
    fd: openSync(join(dir, 'in'), constants.O_WRONLY | constants.O_NONBLOCK),
    readable: false,
    writable: true,
  });
  const reader = new Socket({
    fd: openSync(join(dir, 'out'), constants.O_RDONLY | constants.O_NONBLOCK),
    readable: true,
    writable: false,
  });
  const childOut = openSync(join(dir, 'out'), constants.O_WRONLY | constants.O_NONBLOCK);
  const term: ChildProcess = spawn(
    process.execPath,
    [CLI, 'term', '-t', 'b', '--home', homeA, '--', 'sh', '-c', line],
    { stdio: [childIn, childOut, 'pipe'] },
  );
  // Only term (and the agent, once it opened them) hold its ends now.
  closeSync(childIn);
  closeSync(childOut);
  let seen = '';
  let stderr = '';
  reader.on('data', (d: Buffer) => (seen += d.toString()));
  reader.on('error', () => undefined);
  writer.on('error', () => undefined);
  term.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => term.on('exit', (code) => resolve(code)));
  const exit = (ms = 15_000) =>
    Promise.race([
      exited,
      new Promise<never>((_, reject) =>
        setTimeout(() => {
          term.kill('SIGKILL');
          reject(
            new Error(
              `term did not exit within ${ms} ms; it printed …${JSON.stringify(seen.slice(-200))} ${stderr}`,
            ),
          );
        }, ms).unref(),
      ),
    ]);
  return { term, writer, reader, seen: () => seen, stderr: () => stderr, exit };
}

test(
  'the agent reads term’s input pipe and writes its output pipe, so keys echo while term is stopped; the input’s end is Ctrl-D',
  { skip },
  async () => {
    const pair = await startPair({ relayOnly: false });
    try {
      const s = termOnPipes(pair.homeA, 'stty raw -echo; printf READY; exec cat');
      await until('the remote cat', () => Promise.resolve(s.seen().includes('READY')), 20_000);
      s.writer.write('a');
      await until('the first key back', () => Promise.resolve(s.seen().includes('READYa')), 30_000);
      process.kill(s.term.pid!, 'SIGSTOP');
      try {
        s.writer.write('bc');
        await until(
          'keys back with term stopped',
          () => Promise.resolve(s.seen().includes('READYabc')),
          30_000,
        );
      } finally {
        process.kill(s.term.pid!, 'SIGCONT');
      }
      s.term.kill('SIGTERM');
      await s.exit();

      // A line and then the end of the input: the shell runs the line and ends at the Ctrl-D.
      const shell = termOnPipes(pair.homeA, 'printf "%s\\n" READY; exec sh');
      await until('the remote shell', () => Promise.resolve(shell.seen().includes('READY')), 20_000);
      shell.writer.write('echo $((6 * 7))\n');
      shell.writer.destroy();
      assert.equal(await shell.exit(), 0, shell.stderr());
      assert.match(shell.seen(), /\b42\b/);
    } finally {
      await Promise.all([pair.a.stop(), pair.b.stop(), pair.relay.proc.stop()]);
    }
  },
);

test(
  'a reader that goes away ends term as SIGPIPE would have, quietly, and the program is hung up',
  { skip },
  async () => {
    const pair = await startPair({ relayOnly: false });
    try {
      const s = termOnPipes(pair.homeA, 'printf READY; exec yes');
      await until('output flowing', () => Promise.resolve(s.seen().includes('READY')), 20_000);
      s.reader.destroy();
      assert.equal(await s.exit(), SIGPIPE_STATUS);
      assert.equal(s.stderr(), '', 'nothing said, as for `yes | head -1`');

      // More than a pipe holds, a moment after the reader went, then the program ends with 0: the
      // writes fail (during the session or while the agent flushes the last output), and term still
      // ends with 141, as it would writing them itself.
      const short = termOnPipes(pair.homeA, 'printf READY; sleep 1; yes | head -c 300000');
      await until('output flowing', () => Promise.resolve(short.seen().includes('READY')), 20_000);
      short.reader.destroy();
      assert.equal(await short.exit(), SIGPIPE_STATUS);
    } finally {
      await Promise.all([pair.a.stop(), pair.b.stop(), pair.relay.proc.stop()]);
    }
  },
);
