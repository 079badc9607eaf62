/**
 * `clawbridge term` between real agents, over a direct link and over the relay: output and exit status,
 * several sessions at once, and the serving side's permission.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  CLI,
  cli,
  nodeId,
  peerOf,
  startProcess,
  stopAll,
  type Proc,
  startAgent,
} from '../helpers/processes.js';
import { startPair, term, type Pair } from './terminal-setup.js';
import { until } from '../helpers/wait.js';

after(stopAll);

const skip = process.platform === 'win32' ? 'POSIX shell commands' : false;

async function basics(pair: Pair): Promise<void> {
  const answer = await term(pair, ['sh', '-c', 'echo $((6*7))']);
  assert.equal(answer.code, 0, answer.stderr);
  // stdout is a pipe: the program's bytes as they are, no \r added (as `ssh host cmd` gives them).
  assert.equal(answer.stdout, '42\n');
  assert.equal(answer.stderr, '');

  // Every byte value, line ends included, arrives as the program wrote it: `term b -- cat F > COPY` copies.
  const file = join(mkdtempSync(join(tmpdir(), 'cb-term-bytes-')), 'all-bytes');
  const bytes = Buffer.concat(
    Array.from({ length: 16 }, () => Buffer.from(Array.from({ length: 256 }, (_, i) => i))),
  );
  writeFileSync(file, bytes);
  const copy = await new Promise<Buffer>((resolve) => {
    const child = spawn(process.execPath, [CLI, 'term', 'b', '--home', pair.homeA, '--', 'cat', file], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.on('exit', () => resolve(Buffer.concat(chunks)));
  });
  assert.ok(copy.equals(bytes), `${copy.length} bytes came back, ${bytes.length} were sent`);

  // The other way: piped input reaches the program byte for byte (Ctrl-C, Ctrl-D, \r… included: no
  // terminal turns them into signals or line ends), and its end closes the program's stdin.
  const upload = join(dirname(file), 'upload');
  const sent = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [
      CLI,
      'term',
      'b',
      '--home',
      pair.homeA,
      '--',
      'sh',
      '-c',
      'cat > "$1"',
      'sh',
      upload,
    ]);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('exit', (code) => resolve({ code, stderr }));
    child.stdin.end(bytes);
  });
  assert.equal(sent.code, 0, sent.stderr);
  assert.ok(readFileSync(upload).equals(bytes), 'the upload arrived byte for byte');
  rmSync(dirname(file), { recursive: true, force: true });

  // On pipes stderr comes back on stderr; -t asks for a terminal all the same.
  const split = await term(pair, ['sh', '-c', '[ -t 0 ] || echo no-tty; echo oops >&2; exit 3']);
  assert.deepEqual([split.code, split.stdout, split.stderr], [3, 'no-tty\n', 'oops\n']);
  const tty = await cli(['term', 'b', '-t', '--home', pair.homeA, '--', 'sh', '-c', '[ -t 0 ] && echo tty']);
  assert.equal(tty.stdout, 'tty\n', tty.stderr);

  // -n reads nothing: the program's input ends at once though ours stays open (a background `term`).
  const detached = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
    const child = spawn(process.execPath, [
      CLI,
      'term',
      'b',
      '-n',
      '--home',
      pair.homeA,
      '--',
      'sh',
      '-c',
      'cat; echo done',
    ]);
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.on('exit', (code) => resolve({ code, stdout }));
    child.stdin.write('never read\n'); // and never ended
  });
  assert.deepEqual(detached, { code: 0, stdout: 'done\n' });

  const seven = await term(pair, ['sh', '-c', 'exit 7']);
  assert.equal(seven.code, 7, seven.stderr);
  assert.equal(seven.stdout, '');

  const killed = await term(pair, ['sh', '-c', 'kill -KILL $$']);
  assert.equal(killed.code, 128 + 9);
  assert.equal(killed.stderr, 'clawbridge: the remote program was ended by SIGKILL\n');

  const many = await Promise.all(
    [1, 2, 3, 4, 5].map((n) => term(pair, ['sh', '-c', `sleep 0.3; echo session-${n}; exit ${n}`])),
  );
  many.forEach((r, i) => {
    assert.equal(r.code, i + 1, r.stderr);
    assert.equal(r.stdout, `session-${i + 1}\n`);
  });
}

/** `term b -- COMMAND` with stdout on /dev/full, or on a pipe whose reader closes it at once. */
async function outputTo(
  pair: Pair,
  command: string[],
  to: 'full' | 'closed-pipe',
): Promise<{ code: number | null; stderr: string }> {
  const fd = to === 'full' ? openSync('/dev/full', 'w') : 'pipe';
  const child = spawn(process.execPath, [CLI, 'term', 'b', '--home', pair.homeA, '--', ...command], {
    stdio: ['ignore', fd, 'pipe'],
  });
  if (typeof fd === 'number') closeSync(fd);
  else child.stdout!.destroy();
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  return { code, stderr };
}

/**
 * The direct pair, started on first use and kept for the last test, which ends it: a relay, two agents
 * and their pairing cost more CPU than most checks here, and each test that uses it gives back what it
 * took away (a permission denied is allowed again, a peer removed is added again).
 */
let direct: Pair | undefined;
async function directPair(): Promise<Pair> {
  direct ??= await startPair({ relayOnly: false });
  return direct;
}

test('term over a direct link: output, exit status, concurrent sessions, permission', { skip }, async () => {
  const pair = await directPair();
  await basics(pair);

  // Without a command: the peer's shell, which ends at our end of input (stdin is /dev/null here).
  const shell = await term(pair, []);
  assert.equal(shell.code, 0, shell.stderr);

  const deny = await cli(['peers', 'deny', 'a', 'terminal', '--home', pair.homeB]);
  assert.equal(deny.code, 0, deny.stderr);
  const refused = await term(pair, ['sh', '-c', 'echo $((6*7))']);
  assert.equal(refused.code, 1);
  assert.equal(refused.stdout, '');
  assert.equal(
    refused.stderr,
    'clawbridge: permission denied: b does not allow terminals from a (its owner can run `clawbridge peers allow a terminal` there)\n',
  );

  assert.equal((await cli(['peers', 'allow', 'a', 'terminal', '--home', pair.homeB])).code, 0);
  assert.equal((await term(pair, ['sh', '-c', 'echo back'])).stdout, 'back\n');

  // Output that cannot be written (a full disk) fails the command, saying why, however short it is;
  // a reader that goes away ends it as SIGPIPE would (141), quietly.
  for (const bytes of [100, 300_000]) {
    const full = await outputTo(pair, ['head', '-c', String(bytes), '/dev/zero'], 'full');
    assert.deepEqual(full, {
      code: 1,
      stderr: 'clawbridge: cannot write the output: no space left on device (ENOSPC)\n',
    });
  }
  assert.deepEqual(await outputTo(pair, ['yes'], 'closed-pipe'), { code: 141, stderr: '' });

  const unknown = await cli(['term', 'nobody', '--home', pair.homeA, '--', 'true']);
  assert.equal(unknown.code, 1);
  assert.equal(
    unknown.stderr,
    `clawbridge: no peer named 'nobody'; \`clawbridge peers --home ${pair.homeA}\` lists them\n`,
  );
});

test('term over the relay only', { skip }, async () => {
  const pair = await startPair({ relayOnly: true });
  await basics(pair);
  const piped = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
    const child = spawn(process.execPath, [CLI, 'term', 'b', '--home', pair.homeA, '--', 'wc', '-l']);
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.on('exit', (code) => resolve({ code, stdout }));
    child.stdin.end('one\ntwo\nthree\n');
  });
  assert.equal(piped.code, 0);
  // Piped input reaches the program and is not echoed into the output; its end is end-of-file there.
  assert.match(piped.stdout, /^\s*3\n$/);
  await Promise.all([pair.a.stop(), pair.b.stop(), pair.relay.proc.stop()]);
});

test(
  'without a command the peer runs a login shell, which reads the login profile (as ssh)',
  { skip },
  async () => {
    const home = mkdtempSync(join(tmpdir(), 'cb-term-home-'));
    writeFileSync(join(home, '.profile'), 'export CB_LOGIN_PROFILE=read\n');
    const pair = await startPair({ relayOnly: false, envB: { HOME: home, SHELL: '/bin/sh' } });
    try {
      const shell = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
        const child = spawn(process.execPath, [CLI, 'term', 'b', '--home', pair.homeA]);
        let stdout = '';
        child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
        child.on('exit', (code) => resolve({ code, stdout }));
        child.stdin.end('echo "profile: [$CB_LOGIN_PROFILE] in $PWD"\n');
      });
      assert.equal(shell.code, 0);
      assert.match(shell.stdout, new RegExp(`profile: \\[read\\] in ${home}`));
    } finally {
      await Promise.all([pair.a.stop(), pair.b.stop(), pair.relay.proc.stop()]);
      rmSync(home, { recursive: true, force: true });
    }
  },
);

test(
  'what the owner takes away ends at once: denied terminals, removed as a peer there or here, the agent stopping',
  { skip },
  async () => {
    const pair = await directPair();
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    /** A session whose program prints its pid and sleeps; resolves with the CLI process and that pid. */
    const session = async () => {
      const p = startProcess([
        'term',
        'b',
        '--home',
        pair.homeA,
        '--',
        'sh',
        '-c',
        'echo $$; exec sleep 300',
      ]);
      const pid = Number((await p.waitForLine(/^(\d+)$/m))[1]);
      return { p, pid };
    };
    const ended = async (p: Proc, pid: number, line: RegExp) => {
      const exited = await new Promise<number | null>((resolve) => {
        if (p.child.exitCode !== null) return resolve(p.child.exitCode);
        const timer = setTimeout(() => resolve(null), 10_000);
        p.child.once('exit', (code) => (clearTimeout(timer), resolve(code)));
      });
      assert.equal(exited, 1, `term still running after 10 s; stderr: ${p.stderr()}`);
      assert.match(p.stderr(), line);
      await until('the remote program to be gone', () => !alive(pid), 30_000);
    };
    // Both sides: the one that just added (or restarted) lists the other online only once they linked.
    const linkedAgain = () =>
      until(
        'a and b linked again',
        async () =>
          (await peerOf(pair.homeA, 'b'))?.state === 'online' &&
          (await peerOf(pair.homeB, 'a'))?.state === 'online',
        20_000,
      );
    try {
      const denied = await session();
      assert.equal((await cli(['peers', 'deny', 'a', 'terminal', '--home', pair.homeB])).code, 0);
      await ended(
        denied.p,
        denied.pid,
        /b no longer allows terminals from this node; the session is hung up/,
      );
      assert.equal((await cli(['peers', 'allow', 'a', 'terminal', '--home', pair.homeB])).code, 0);

      const removed = await session();
      assert.equal((await cli(['peers', 'remove', 'a', '--home', pair.homeB])).code, 0);
      await ended(removed.p, removed.pid, /b removed this node as a peer; the session is hung up/);
      const fpA = (await nodeId(pair.homeA)).fingerprint;
      assert.equal((await cli(['peers', 'add', fpA, '--name', 'a', '--home', pair.homeB])).code, 0);
      await linkedAgain();

      // Removed on this side: the session on it ends now, saying so, not after the resume window.
      const removedHere = await session();
      assert.equal((await cli(['peers', 'remove', 'b', '--home', pair.homeA])).code, 0);
      await ended(removedHere.p, removedHere.pid, /b was removed as a peer here; the session is hung up/);
      assert.doesNotMatch(removedHere.p.stderr(), /reconnecting/);
      const fpB = (await nodeId(pair.homeB)).fingerprint;
      assert.equal((await cli(['peers', 'add', fpB, '--name', 'b', '--home', pair.homeA])).code, 0);
      await linkedAgain();

      const stopping = await session();
      assert.equal((await cli(['stop', '--home', pair.homeB])).code, 0);
      await ended(stopping.p, stopping.pid, /b is stopping; the session is hung up/);

      // The agent this CLI goes through stops: it hands its terminals over (ADR 0082), so the CLI
      // waits for it to come back, and b keeps the program for its resume window.
      pair.b = await startAgent(pair.homeB); // its saved flags
      await linkedAgain();
      const local = await session();
      assert.equal((await cli(['stop', '--home', pair.homeA])).code, 0);
      await until(
        'term waits for its agent',
        () => /local agent stopped; waiting for it to come back/.test(local.p.stderr()),
        30_000,
      );
      assert.equal(local.p.child.exitCode, null, local.p.stderr());
      assert.ok(alive(local.pid), 'the remote program is kept for a taker');
      await local.p.stop();
    } finally {
      await Promise.all([pair.a.stop(), pair.b.stop(), pair.relay.proc.stop()]);
    }
  },
);
