// test-runner: own process. Real pseudo-terminals and their programs: once (ci, 2 cores at three
// files at a time) a test here waited forever for a program's event, and the whole group of 24 files
// it ran in timed out with it; on its own it can only time out itself.
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ExitStatus } from '../../../../src-main/protocol/terminal-frames.js';
import {
  defaultShell,
  defaultShellArgv,
  findExecutable,
  PtySession,
  terminalEnv,
  withPtyModes,
} from '../../../../src-main/terminal/sessions/pty-session.js';
import { sleep, until } from '../../../helpers/wait.js';

const skip = process.platform === 'win32' ? 'POSIX shell commands' : false;

/** Runs `command`, letting `onChunk` pause/resume; resolves with all output and the exit status. */
function collect(
  command: string[],
  onChunk: (pty: PtySession) => void = () => undefined,
): Promise<{ out: string; status: ExitStatus }> {
  const pty = PtySession.spawn({ command, cols: 80, rows: 24 });
  const chunks: Buffer[] = [];
  pty.onData((c) => {
    chunks.push(c);
    onChunk(pty);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no exit within 30 s')), 30_000);
    pty.onExit((status) => {
      clearTimeout(timer);
      resolve({ out: Buffer.concat(chunks).toString('latin1'), status });
    });
  });
}

function counted(out: string, n: number): void {
  const lines = out.split('\r\n').filter(Boolean);
  assert.equal(lines.length, n, `expected ${n} lines, got ${lines.length}`);
  lines.forEach((l, i) => assert.equal(l, String(i + 1)));
}

test('the default shell: $SHELL, else /bin/sh; PowerShell on Windows', () => {
  assert.equal(defaultShell('linux', { SHELL: '/bin/zsh' }), '/bin/zsh');
  assert.equal(defaultShell('darwin', {}), '/bin/sh');
  assert.equal(defaultShell('linux', { SHELL: '' }), '/bin/sh');
  assert.equal(defaultShell('win32', { SHELL: '/bin/bash' }), 'powershell.exe');
  // Without a command a session runs a login shell, as ssh does, where the shell takes -l.
  assert.deepEqual(defaultShellArgv('linux', { SHELL: '/usr/bin/zsh' }), ['/usr/bin/zsh', '-l']);
  assert.deepEqual(defaultShellArgv('darwin', {}), ['/bin/sh', '-l']);
  assert.deepEqual(defaultShellArgv('linux', { SHELL: '/opt/nu/bin/nu' }), ['/opt/nu/bin/nu']);
  assert.deepEqual(defaultShellArgv('win32', { SHELL: '/bin/bash' }), ['powershell.exe']);
});

test('the environment says xterm-256color and drops the agent terminal’s own traces', () => {
  const env = terminalEnv({ TERM: 'dumb', TMUX: '/tmp/x', COLUMNS: '5', HOME: '/h' }, undefined, null);
  assert.deepEqual(env, { TERM: 'xterm-256color', HOME: '/h' });
});

test('an agent with next to no environment (systemd, cron) gives HOME, USER, LOGNAME, SHELL from the account, as sshd does', () => {
  const account = { username: 'ann', homedir: '/home/ann', shell: '/bin/zsh' };
  const bare = terminalEnv({ PATH: '/usr/bin:/bin', HOME: '' }, undefined, account);
  const expected =
    process.platform === 'win32' ? {} : { HOME: '/home/ann', USER: 'ann', LOGNAME: 'ann', SHELL: '/bin/zsh' };
  assert.deepEqual(bare, { PATH: '/usr/bin:/bin', TERM: 'xterm-256color', ...expected });
  if (process.platform !== 'win32') assert.deepEqual(defaultShellArgv('linux', bare), ['/bin/zsh', '-l']);
  // What the agent's environment says stays.
  const set = terminalEnv({ HOME: '/h', USER: 'u', LOGNAME: 'u', SHELL: '/bin/bash' }, undefined, account);
  assert.deepEqual(set, { HOME: '/h', USER: 'u', LOGNAME: 'u', SHELL: '/bin/bash', TERM: 'xterm-256color' });
  // No passwd entry: nothing is made up.
  assert.deepEqual(terminalEnv({}, undefined, null), { TERM: 'xterm-256color' });
});

test('output paused on every chunk still arrives whole, tail included', { skip }, async () => {
  const { out, status } = await collect(['seq', '1', '100000'], (pty) => {
    pty.pause();
    setTimeout(() => pty.resume(), 5);
  });
  counted(out, 100_000);
  assert.deepEqual(status, { code: 0 });
});

test(
  'a process that exits while output is paused for good still reports all of it, then its status',
  { skip },
  async () => {
    // ~9 KB fits the kernel's PTY buffers, so the process exits while nothing reads.
    const { out, status } = await collect(['sh', '-c', 'seq 1 2000; exit 3'], (pty) => pty.pause());
    counted(out, 2000);
    assert.deepEqual(status, { code: 3 });
  },
);

test(
  'a program that closes its terminal before it exits reports its own status, not SIGHUP',
  { skip },
  async () => {
    // What cat and head do at exit, with time in between: the PTY must stay up until it is reaped.
    const { out, status } = await collect(['sh', '-c', 'echo bye; exec 0<&- 1>&- 2>&-; sleep 0.3; exit 3']);
    assert.equal(out, 'bye\r\n');
    assert.deepEqual(status, { code: 3 });
  },
);

test(
  'line input is UTF-8 aware (IUTF8): Backspace erases a whole é',
  { skip: process.platform !== 'linux' && 'Linux only' },
  async () => {
    // é, Backspace, x, Enter: the program must read "x" alone, not a stray first byte of é.
    const pty = PtySession.spawn({
      command: ['sh', '-c', 'sleep 0.3; read line; printf "[%s]" "$line" | od -An -c'],
      cols: 80,
      rows: 24,
    });
    const chunks: Buffer[] = [];
    pty.onData((c) => chunks.push(c));
    const exited = new Promise<void>((resolve) => pty.onExit(() => resolve()));
    setTimeout(() => pty.write(Buffer.from('é\x7fx\r')), 500);
    await exited;
    assert.match(Buffer.concat(chunks).toString(), /\[\s+x\s+\]/);
  },
);

test(
  'the PTY modes are set before the program starts, so a program that sets its own at once keeps them',
  { skip: process.platform !== 'linux' && 'Linux only' },
  async () => {
    // The program reads the modes the moment it runs (no sleep): IUTF8 is already on. When it was set by
    // a second stty beside the program, this read -iutf8, and that stty's read-modify-write could undo a
    // raw mode the program had just set (or fail its `stty raw -echo`, as the bench once saw).
    for (let i = 0; i < 5; i++) {
      const { out } = await collect([
        'sh',
        '-c',
        'stty -a; echo AFTER-RAW; stty raw -echo || echo STTY-FAILED; stty -a',
      ]);
      const [atStart = '', afterRaw = ''] = out.split('AFTER-RAW');
      assert.match(atStart, /(^|\s)iutf8(\s|$)/, atStart);
      assert.doesNotMatch(afterRaw, /STTY-FAILED/);
      assert.match(afterRaw, /(^|\s)-echo(\s|$)/, afterRaw);
      assert.match(afterRaw, /(^|\s)-icanon(\s|$)/, afterRaw);
    }
  },
);

test('hang-up ends the program', { skip }, async () => {
  const pty = PtySession.spawn({ command: ['sleep', '30'], cols: 80, rows: 24 });
  const exited = new Promise<ExitStatus>((resolve) => pty.onExit(resolve));
  pty.hangup();
  const status = await exited;
  assert.ok('signal' in status || status.code !== 0, JSON.stringify(status));
});

test(
  'hang-up with input still being written prints nothing (node-pty reports a write whose fd closed)',
  { skip },
  async () => {
    const printed: unknown[][] = [];
    const error = console.error;
    console.error = (...args: unknown[]) => void printed.push(args);
    try {
      for (let i = 0; i < 20; i++) {
        // A program that never reads: the input fills the terminal's buffer and waits in node-pty's queue.
        const pty = PtySession.spawn({ command: ['sleep', '30'], cols: 80, rows: 24 });
        const exited = new Promise<void>((resolve) => pty.onExit(() => resolve()));
        pty.write(Buffer.alloc(64 * 1024, 0x61));
        pty.hangup();
        await exited;
        // What was in flight at the hang-up finishes on the thread pool after it, and a write that
        // failed would print then: that nothing prints within the window is what is tested.
        await sleep(20, 'a failed write in flight prints within this window, if at all');
      }
    } finally {
      console.error = error;
    }
    assert.deepEqual(printed, []);
  },
);

test('resize reaches the program', { skip }, async () => {
  const pty = PtySession.spawn({ command: ['sh', '-c', 'read x; stty size'], cols: 80, rows: 24 });
  const chunks: Buffer[] = [];
  pty.onData((c) => chunks.push(c));
  const exited = new Promise<void>((resolve) => pty.onExit(() => resolve()));
  pty.resize(132, 50);
  pty.write(Buffer.from('go\r'));
  await exited;
  assert.match(Buffer.concat(chunks).toString(), /50 132/);
});

test(
  'input in bursts larger than the PTY takes at once reaches a slow reader whole and in order',
  { skip },
  async () => {
    // Printable bytes only: the raw-mode line discipline passes them as they are. Each 32 KiB burst
    // overflows the kernel's 4 KiB input buffer, so writes meet EAGAIN and wait in node-pty's queue
    // while the reader frees room between them: nothing may be lost, doubled or reordered.
    const bursts = 8;
    const burstBytes = 32 * 1024;
    const input = Buffer.alloc(bursts * burstBytes);
    for (let i = 0; i < input.length; i++) input[i] = 0x20 + ((i * 7 + (i >> 9)) % 95);
    const pty = PtySession.spawn({
      // `R` says stty has run; the reader then starts late, so the first burst meets a full buffer.
      command: ['sh', '-c', `stty raw -echo; printf R; sleep 0.3; head -c ${input.length} | sha256sum`],
      cols: 80,
      rows: 24,
    });
    const chunks: Buffer[] = [];
    pty.onData((c) => chunks.push(c));
    const exited = new Promise<ExitStatus>((resolve) => pty.onExit(resolve));
    await until('the shell to say stty has run', () => Buffer.concat(chunks).includes('R'));
    for (let b = 0; b < bursts; b++) {
      for (let off = 0; off < burstBytes; off += 512) {
        pty.write(input.subarray(b * burstBytes + off, b * burstBytes + off + 512));
        // Every other piece a turn passes, so the reader frees room while a queue is still held.
        if (off % 1024 === 0) await new Promise((r) => setImmediate(r));
      }
      await sleep(60, 'a pause between bursts');
    }
    assert.deepEqual(await exited, { code: 0 });
    const expected = createHash('sha256').update(input).digest('hex');
    assert.match(Buffer.concat(chunks).toString(), new RegExp(expected));
  },
);

test(
  'a command that is not there: one line naming it and exit status 127, as in a shell',
  { skip },
  async () => {
    const { out, status } = await collect(['clawbridge-no-such-command']);
    assert.equal(out, 'clawbridge: clawbridge-no-such-command: command not found\r\n');
    assert.deepEqual(status, { code: 127 });
    const missing = await collect(['./no/such/program']);
    assert.equal(missing.out, 'clawbridge: ./no/such/program: no such file or directory\r\n');
    assert.deepEqual(missing.status, { code: 127 });
  },
);

test('findExecutable looks where execvp would', { skip }, () => {
  assert.equal(findExecutable('sh', '/', '/nonexistent:/bin'), '/bin/sh');
  assert.equal(findExecutable('sh', '/', '/nonexistent'), undefined);
  assert.equal(findExecutable('/bin/sh', '/', ''), '/bin/sh');
  assert.equal(findExecutable('bin/sh', '/', ''), '/bin/sh');
  assert.equal(findExecutable('', '/', '/bin'), undefined);
});

test('PTY modes for a viewer without a terminal are set by stty before the program runs, its argv untouched', () => {
  assert.deepEqual(withPtyModes(['cat', 'a b'], {}, 'darwin'), ['cat', 'a b']);
  assert.deepEqual(withPtyModes(['cat'], { echo: true, opost: true }, 'darwin'), ['cat']);
  // Linux: IUTF8 always, in the same stty before the program starts (never beside it: see the next test).
  assert.deepEqual(withPtyModes(['vim', 'a b'], {}, 'linux'), [
    '/bin/sh',
    '-c',
    'stty iutf8 2>/dev/null; exec "$@"',
    'sh',
    'vim',
    'a b',
  ]);
  assert.deepEqual(withPtyModes(['cat', "it's; rm -rf /"], { echo: false, opost: false }, 'linux'), [
    '/bin/sh',
    '-c',
    'stty -echo -opost iutf8 2>/dev/null; exec "$@"',
    'sh',
    'cat',
    "it's; rm -rf /",
  ]);
  assert.deepEqual(withPtyModes(['cat'], { opost: false }, 'darwin').slice(0, 3), [
    '/bin/sh',
    '-c',
    'stty -opost 2>/dev/null; exec "$@"',
  ]);
  assert.deepEqual(withPtyModes(['cat'], { echo: false }, 'win32'), ['cat']);
});
