/**
 * The CLI's stdin and stdout pipes opened by the agent for direct I/O (terminal/direct-pipes.ts, ADR
 * 0038): real pipes of a child (a shell's `cat | sleep | cat` gives `sleep` two) are read and written
 * by their /proc names, their end and a reader that went away are reported, and anything that is not
 * a pipe of this user is refused without leaving a file open.
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, connect } from 'node:net';
import { once } from 'node:events';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isClawError } from '../../../src-main/core/errors.js';
import { openDirectPipes } from '../../../src-main/terminal/direct-pipes.js';
import { until } from '../../helpers/wait.js';

const skip = process.platform === 'linux' ? false : 'Linux names another process’s pipes under /proc';

/** `sleep`'s stdin and stdout are pipes from and to the two `cat`s, which relay our sockets. */
async function sleeperOnPipes() {
  const sh = spawn('sh', ['-c', 'cat | sleep 30 | cat'], { stdio: ['pipe', 'pipe', 'ignore'] });
  let pid = '';
  await until('the sleep', () => {
    try {
      pid = execFileSync('pgrep', ['-P', String(sh.pid), 'sleep'], { encoding: 'utf8' }).trim();
    } catch {
      pid = '';
    }
    return pid !== '';
  });
  let out = '';
  sh.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const stop = () => {
    sh.kill('SIGKILL');
    execFileSync('kill', ['-9', pid]);
  };
  return { sh, pid, out: () => out, stop };
}

const fdCount = () => readdirSync('/proc/self/fd').length;

test(
  'input from the pipe arrives, output reaches its reader, and the end of the input is reported',
  { skip },
  async () => {
    const s = await sleeperOnPipes();
    try {
      const io = openDirectPipes(`/proc/${s.pid}/fd/0`, `/proc/${s.pid}/fd/1`);
      let input = '';
      let ended = false;
      io.onInput((b) => (input += b.toString()));
      io.onInputEnd(() => (ended = true));
      io.resumeInput();
      s.sh.stdin.write('typed');
      io.write(Buffer.from('shown'));
      await until('input and output', () => input === 'typed' && s.out() === 'shown');
      s.sh.stdin.end();
      await until('the end of the input', () => ended);
      io.close();
    } finally {
      s.stop();
    }
  },
);

test(
  'a reader that went away is reported once, as EPIPE, and later writes are dropped',
  { skip },
  async () => {
    const s = await sleeperOnPipes();
    try {
      const io = openDirectPipes(`/proc/${s.pid}/fd/0`, `/proc/${s.pid}/fd/1`);
      const failures: (string | undefined)[] = [];
      io.onOutputError((err) => failures.push(err.code));
      s.sh.stdout.destroy();
      // The last `cat` reads until its output fails, then goes: the pipe has no reader left.
      await until('the output to fail', () => {
        if (failures.length > 0) return true;
        io.write(Buffer.from('x'.repeat(1024)));
        return false;
      });
      assert.deepEqual(failures, ['EPIPE']);
      assert.equal(io.outputFailure()?.code, 'EPIPE');
      assert.equal(io.write(Buffer.from('more')), true, 'taken, and dropped');
      await io.flushed(1_000);
      assert.deepEqual(failures, ['EPIPE']);
      io.close();
    } finally {
      s.stop();
    }
  },
);

test(
  'only pipes of this user are opened: other paths and files are refused with a reason, none left open',
  { skip },
  async () => {
    // A regular file and a socket (what Node gives a child for 'pipe' stdio), named the same way.
    const path = join(mkdtempSync(join(tmpdir(), 'cb-pipes-')), 'file');
    writeFileSync(path, 'keep');
    const file = openSync(path, 'r');
    const server = createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = connect((server.address() as { port: number }).port, '127.0.0.1');
    await once(client, 'connect');
    const socket = (client as unknown as { _handle: { fd: number } })._handle.fd;
    const named = (fd: number) => `/proc/${process.pid}/fd/${fd}`;
    const refused = (input: string, output: string, message: RegExp) =>
      assert.throws(
        () => openDirectPipes(input, output),
        (err) => isClawError(err, 'BAD_ARGUMENT') && message.test((err as Error).message),
      );
    try {
      const before = fdCount();
      refused('/dev/pts/1', '/proc/1/fd/1', /'\/dev\/pts\/1' is not a process's pipe/);
      refused('/proc/self/fd/0', '/proc/1/fd/1', /is not a process's pipe/);
      refused(named(file), named(file), /is not a pipe of this user/);
      refused(named(socket), named(socket), /is not a pipe of this user/);
      assert.equal(fdCount(), before, 'the refusals left no file open');
      assert.equal(readFileSync(path, 'utf8'), 'keep');
    } finally {
      closeSync(file);
      client.destroy();
      server.close();
    }
  },
);
