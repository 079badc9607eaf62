/**
 * The CLI's terminal opened by the agent for direct I/O (terminal/direct-tty.ts, ADR 0037): a real PTY's
 * terminal end is read and written as the CLI would, paths that are no terminal are refused, and
 * opening and closing one leaves no file open.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { spawn as spawnPty } from 'node-pty';
import { isClawError } from '../../../src-main/core/errors.js';
import { openDirectTty } from '../../../src-main/terminal/direct-tty.js';
import { cliTerminalOf } from '../../../src-main/api/stream-upgrade.js';
import { until } from '../../helpers/wait.js';

const skip = process.platform === 'win32' ? 'POSIX terminals' : false;

/** A PTY whose program reads nothing, and its terminal end's path (node-pty's `ptsName`). */
function idlePty() {
  const pty = spawnPty('sleep', ['30'], { cols: 80, rows: 24 });
  let seen = '';
  pty.onData((d) => (seen += d));
  return { pty, path: (pty as unknown as { ptsName: string }).ptsName, seen: () => seen };
}

test('output written goes to the terminal, and what is typed there arrives as input', { skip }, async () => {
  const t = idlePty();
  const tty = openDirectTty(t.path);
  try {
    const typed: Buffer[] = [];
    tty.onInput((b) => typed.push(b));
    tty.resumeInput();
    assert.equal(tty.write(Buffer.from('from the agent')), true);
    await tty.flushed(1_000);
    await until('output on the terminal', () => t.seen().includes('from the agent'));
    t.pty.write('typed\r');
    await until('input', () => Buffer.concat(typed).toString().includes('typed'));
  } finally {
    tty.close();
    t.pty.kill();
  }
});

test(
  'flushed() resolves once a small write reached the terminal, not at its time limit',
  { skip, timeout: 10_000 },
  async () => {
    const t = idlePty();
    const tty = openDirectTty(t.path);
    try {
      tty.write(Buffer.from('x'));
      // A write below the stream's mark emits no 'drain': waiting for one would wait out the limit.
      await tty.flushed(60_000);
      await tty.flushed(60_000);
    } finally {
      tty.close();
      t.pty.kill();
    }
  },
);

test('only a terminal device is opened: other paths are refused with a reason', { skip }, () => {
  for (const path of ['/dev/null', '/etc/passwd', '/dev/pts/../../etc/passwd', 'pts/1', '/dev/tty']) {
    assert.throws(
      () => openDirectTty(path),
      (err: unknown) =>
        isClawError(err) && err.code === 'BAD_ARGUMENT' && /not a terminal device path/.test(err.message),
      path,
    );
  }
  assert.throws(
    () => openDirectTty('/dev/pts/9999999'),
    (err: unknown) => isClawError(err) && /cannot open the terminal \/dev\/pts\/9999999/.test(err.message),
  );
});

test('opening and closing a terminal a hundred times leaves no file open', { skip }, async () => {
  const t = idlePty();
  try {
    const open = () => readdirSync('/proc/self/fd').length;
    const closeOf = (tty: ReturnType<typeof openDirectTty>) => (tty.close(), tty.whenClosed());
    await closeOf(openDirectTty(t.path));
    const before = open();
    for (let i = 0; i < 100; i++) await closeOf(openDirectTty(t.path));
    assert.ok(open() <= before, `files open: ${open()} after, ${before} before`);
  } finally {
    t.pty.kill();
  }
});

test('the request offers a terminal as {path, escapes}, pipes as {path, escapes, output}; anything else is refused with what is wrong', () => {
  assert.deepEqual(cliTerminalOf({ path: '/dev/pts/3', escapes: true }), {
    path: '/dev/pts/3',
    escapes: true,
  });
  assert.deepEqual(cliTerminalOf({ path: '/dev/ttys004', escapes: false }), {
    path: '/dev/ttys004',
    escapes: false,
  });
  assert.deepEqual(cliTerminalOf({ path: '/proc/123/fd/0', escapes: false, output: '/proc/123/fd/1' }), {
    path: '/proc/123/fd/0',
    escapes: false,
    output: '/proc/123/fd/1',
  });
  const bad: [unknown, RegExp][] = [
    [null, /expected \{path, escapes\}/],
    ['/dev/pts/3', /expected \{path, escapes\}/],
    [{ path: '/tmp/x', escapes: true }, /path: expected a terminal device/],
    [{ path: '/dev/pts/3' }, /escapes: expected true or false/],
    [{ path: '/dev/pts/3', escapes: true, more: 1 }, /only path, escapes and output/],
    // Pipes (ADR 0038): both by their /proc names, and no escapes.
    [{ path: '/dev/pts/3', escapes: false, output: '/proc/12/fd/1' }, /path: with output, expected a pipe/],
    [{ path: '/proc/12/fd/0', escapes: false, output: '/tmp/out' }, /output: expected a pipe/],
    [{ path: '/proc/12/fd/0', escapes: true, output: '/proc/12/fd/1' }, /escapes: there are none on pipes/],
    [
      { path: '/proc/12/fd/0', escapes: false, output: '/proc/12/fd/1', x: 1 },
      /only path, escapes and output/,
    ],
  ];
  for (const [value, message] of bad) {
    const got = cliTerminalOf(value);
    assert.ok(got instanceof Error, JSON.stringify(value));
    assert.match(got.message, message);
  }
});
