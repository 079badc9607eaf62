import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  hasTerminfo,
  sessionTerminalType,
  TERMINAL_TYPE,
  terminfoDirs,
} from '../../../../src-main/terminal/sessions/terminal-type.js';
import { argsForPeer } from '../../../../src-main/terminal/viewer-bridge.js';
import {
  FEATURE_INPUT_RESUME,
  FEATURE_PIPES,
  FEATURE_PTY_MODES,
  FEATURE_TERMINAL_TYPE,
} from '../../../../src-main/protocol/terminal-frames.js';

test('terminfo is looked up where ncurses looks: $TERMINFO, ~/.terminfo, $TERMINFO_DIRS, then the system', () => {
  const dirs = terminfoDirs({ TERMINFO: '/t', TERMINFO_DIRS: '/a::/b' }, '/home/u');
  assert.deepEqual(dirs.slice(0, 4), ['/t', '/home/u/.terminfo', '/a', '/b']);
  assert.ok(
    dirs.includes('/usr/share/terminfo') && dirs.includes('/lib/terminfo'),
    "dirs.includes('/usr/share/terminfo') && dirs.includes('/lib/terminfo')",
  );
  assert.deepEqual(terminfoDirs({}, '/h').slice(0, 2), ['/h/.terminfo', '/etc/terminfo']);
});

test('an entry counts under its first letter (Linux) or that letter in hex (macOS)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cb-terminfo-'));
  try {
    mkdirSync(join(dir, 'v'));
    writeFileSync(join(dir, 'v', 'vt-test'), '');
    mkdirSync(join(dir, '6b'));
    writeFileSync(join(dir, '6b', 'kitty-test'), '');
    assert.equal(hasTerminfo('vt-test', [join(dir, 'none'), dir]), true);
    assert.equal(hasTerminfo('kitty-test', [dir]), true);
    assert.equal(hasTerminfo('vt-other', [dir]), false);
    assert.equal(hasTerminfo('', [dir]), false);
    // The session's TERM: the asked-for type only when this host can look it up.
    assert.equal(sessionTerminalType('vt-test', { TERMINFO: dir }, 'linux'), 'vt-test');
    assert.equal(sessionTerminalType('vt-other', { TERMINFO: dir }, 'linux'), TERMINAL_TYPE);
    assert.equal(sessionTerminalType('vt-test', { TERMINFO: dir }, 'win32'), TERMINAL_TYPE);
    assert.equal(sessionTerminalType(undefined, { TERMINFO: dir }, 'linux'), TERMINAL_TYPE);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a terminal type and PTY modes go only to a peer whose hello says it takes them', () => {
  const args = { v: 1 as const, cols: 80, rows: 24, term: 'vt100', echo: false, opost: false };
  const bare = { v: 1, cols: 80, rows: 24 };
  assert.deepEqual(argsForPeer(args, [FEATURE_TERMINAL_TYPE, FEATURE_PTY_MODES, 'splice']), args);
  assert.deepEqual(argsForPeer(args, [FEATURE_TERMINAL_TYPE]), { ...bare, term: 'vt100' });
  assert.deepEqual(argsForPeer(args, [FEATURE_PTY_MODES]), { ...bare, echo: false, opost: false });
  assert.deepEqual(argsForPeer(args, ['splice']), bare);
  assert.deepEqual(argsForPeer(args, undefined), bare);
  const resume = { v: 1 as const, resume: 'a'.repeat(32), offset: 0, cols: 80, rows: 24 };
  assert.equal(argsForPeer(resume, undefined), resume);
  // A resume asks for the session's input count only of a peer that keeps one.
  const counted = { ...resume, input: true as const };
  assert.equal(argsForPeer(counted, [FEATURE_INPUT_RESUME]), counted);
  assert.deepEqual(argsForPeer(counted, [FEATURE_TERMINAL_TYPE, FEATURE_PTY_MODES]), resume);
  assert.deepEqual(argsForPeer(counted, undefined), resume);
});

test('pipes (pty: false) go only to a peer whose hello says it runs programs on pipes; others get a PTY set up for pipes', () => {
  const args = { v: 1 as const, cols: 80, rows: 24, echo: false, opost: false, pty: false };
  const all = [FEATURE_TERMINAL_TYPE, FEATURE_PTY_MODES, FEATURE_PIPES];
  assert.deepEqual(argsForPeer(args, all), args);
  assert.deepEqual(argsForPeer(args, [FEATURE_TERMINAL_TYPE, FEATURE_PTY_MODES]), {
    v: 1,
    cols: 80,
    rows: 24,
    echo: false,
    opost: false,
  });
});
