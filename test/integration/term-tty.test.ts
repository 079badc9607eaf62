/**
 * `clawbridge term` run from a terminal, as a person runs it: the CLI sits in a local PTY, so its stdin
 * and stdout are TTYs and it goes raw. What the peer's program writes reaches the local terminal byte
 * for byte (no "\n" → "\r\n" on our side: the peer's PTY did its own output processing), the program
 * is told the local terminal's type, and on exit the local terminal is as it was.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn as spawnPty } from 'node-pty';
import { CLI, stopAll } from '../helpers/processes.js';
import { LEFT_BY_ESCAPE_STATUS } from '../../src-main/terminal/cli/term-command.js';
import { startPair } from './terminal-setup.js';
import { runInPty } from '../helpers/pty-run.js';
import { until, sleep } from '../helpers/wait.js';
import { failTest } from '../helpers/unawaited.js';

after(stopAll);

const skip = process.platform === 'win32' ? 'POSIX terminals' : false;

/** Runs `sh -c line` in a fresh PTY to its end; resolves with everything the PTY showed. */
function inPty(line: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return runInPty('sh', ['-c', line], { env });
}

/** The CLI itself in a PTY on `sh -c 'printf READY; exec cat'` at b, once READY showed. */
async function catSession(homeA: string, extra: string[] = []) {
  const pty = spawnPty(
    process.execPath,
    [CLI, 'term', 'b', '--home', homeA, ...extra, '--', 'sh', '-c', 'printf READY; exec cat'],
    { cols: 100, rows: 30, env: process.env },
  );
  let seen = '';
  pty.onData((d) => (seen += d));
  const exited = new Promise<number>((resolve) => pty.onExit(({ exitCode }) => resolve(exitCode)));
  await until('the remote cat', () => Promise.resolve(seen.includes('READY')), 20_000);
  /** Its exit status; a term still running after `ms` is killed and fails the test with what it showed. */
  const exit = (ms = 15_000) =>
    new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        pty.kill('SIGKILL');
        reject(new Error(`term did not exit within ${ms} ms; it showed ${JSON.stringify(seen)}`));
      }, ms);
      exited
        .then((code) => {
          clearTimeout(timer);
          resolve(code);
        })
        .catch(failTest('exited.then'));
    });
  return { pty, exit, seen: () => seen };
}

test(
  'escape sequences: ~~ sends one ~, ~. leaves a session; --no-escape sends them as typed',
  { skip },
  async () => {
    const pair = await startPair({ relayOnly: false });
    try {
      const s = await catSession(pair.homeA);
      s.pty.write('~~x\r');
      // The remote terminal echoes the line, then cat prints it: one ~ each time.
      await until('the line back', () => Promise.resolve(/~x\r\n~x\r\n/.test(s.seen())), 30_000);
      assert.ok(!s.seen().includes('~~'), JSON.stringify(s.seen()));
      s.pty.write('~.');
      assert.equal(await s.exit(), LEFT_BY_ESCAPE_STATUS);
      assert.match(s.seen(), /clawbridge: left the session \(~\.\); b hangs it up/);

      // Left right after output that did not end its line: the note starts a line of its own.
      const mid = await catSession(pair.homeA);
      mid.pty.write('~.');
      assert.equal(await mid.exit(), LEFT_BY_ESCAPE_STATUS);
      assert.match(mid.seen(), /READY\r\nclawbridge: left the session/);

      const plain = await catSession(pair.homeA, ['--no-escape']);
      plain.pty.write('~.\r');
      await until(
        '~. echoed by the remote',
        () => Promise.resolve(/~\.\r\n~\.\r\n/.test(plain.seen())),
        30_000,
      );
      plain.pty.kill('SIGTERM');
      await plain.exit();
    } finally {
      await Promise.all([pair.a.stop(), pair.b.stop(), pair.relay.proc.stop()]);
    }
  },
);

/** Runs `during` with the CLI's process (the PTY's first process) stopped, and continues it after. */
async function whileStopped(s: { pty: { pid: number } }, during: () => Promise<void>): Promise<void> {
  process.kill(s.pty.pid, 'SIGSTOP');
  try {
    await during();
  } finally {
    process.kill(s.pty.pid, 'SIGCONT');
  }
}

test(
  'direct terminal I/O: the agent reads the keys and writes the echo on term’s terminal, so they pass while term itself is stopped; with --no-direct they wait for term',
  { skip },
  async () => {
    const pair = await startPair({ relayOnly: false });
    try {
      const s = await catSession(pair.homeA);
      // The handoff follows the first output: once a key echoes, the agent has the terminal.
      s.pty.write('a');
      await until('the first key back', () => Promise.resolve(s.seen().includes('READYa')), 30_000);
      await whileStopped(s, async () => {
        s.pty.write('bc');
        await until(
          'keys back with term stopped',
          () => Promise.resolve(s.seen().includes('READYabc')),
          30_000,
        );
      });
      // Left with ~. typed where the agent reads: term says so and ends as before.
      s.pty.write('\r~.');
      assert.equal(await s.exit(), LEFT_BY_ESCAPE_STATUS);
      assert.match(s.seen(), /clawbridge: left the session \(~\.\); b hangs it up/);

      const kept = await catSession(pair.homeA, ['--no-direct']);
      kept.pty.write('a');
      await until('the first key back', () => Promise.resolve(kept.seen().includes('READYa')), 30_000);
      await whileStopped(kept, async () => {
        kept.pty.write('b');
        await sleep(500, 'nothing may pass while it is stopped');
        assert.ok(
          !kept.seen().includes('READYab'),
          'term does the I/O itself: nothing passes while it is stopped',
        );
      });
      await until(
        'the key back once term runs',
        () => Promise.resolve(kept.seen().includes('READYab')),
        30_000,
      );
      kept.pty.write('\r~.');
      assert.equal(await kept.exit(), LEFT_BY_ESCAPE_STATUS);
    } finally {
      await Promise.all([pair.a.stop(), pair.b.stop(), pair.relay.proc.stop()]);
    }
  },
);

test(
  'from a terminal: the peer program’s bytes arrive unchanged, it is told our terminal type, and the terminal is restored',
  { skip },
  async () => {
    const pair = await startPair({ relayOnly: false });
    try {
      // The remote program turns its own output processing off (as vim or less do) and moves down with
      // a bare "\n"; then, back in the local shell, `stty -a` shows the terminal's modes.
      const remote = `stty -opost; printf 'ab\\ncd|'`;
      const shown = await inPty(
        `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} term b --home ${JSON.stringify(pair.homeA)} -- sh -c ${JSON.stringify(remote)}; echo "status $?"; stty -a`,
      );
      assert.ok(shown.includes('ab\ncd|'), `a bare "\\n" stays bare: ${JSON.stringify(shown.slice(0, 200))}`);
      assert.match(shown, /status 0\r\n/);
      const modes = shown.slice(shown.indexOf('status 0'));
      for (const mode of ['opost', 'onlcr', 'icanon', 'echo', 'isig', 'icrnl']) {
        assert.match(modes, new RegExp(`(^|\\s)${mode}(\\s|$)`), `${mode} is back on after the session`);
      }

      // The program is told this terminal's type, as ssh does, when the peer has its terminfo
      // (vt100 is in every ncurses install); a type the peer cannot look up becomes xterm-256color.
      const termOf = (TERM: string) =>
        inPty(
          `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} term b --home ${JSON.stringify(pair.homeA)} -- sh -c 'printf "<%s>" "$TERM"'`,
          { ...process.env, TERM },
        );
      assert.match(await termOf('vt100'), /<vt100>/);
      assert.match(await termOf('no-such-terminal-type'), /<xterm-256color>/);
    } finally {
      await Promise.all([pair.a.stop(), pair.b.stop(), pair.relay.proc.stop()]);
    }
  },
);
