/**
 * Where the control socket lives (home/home-dir.ts): in the home when the path fits, else in a
 * directory private to this user — never directly in the shared temp directory, where another user
 * could bind the name first. And the home itself is created, or tightened to, mode 0700.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, lstatSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  checkPrivateDir,
  checkSocketOwner,
  chooseControlSocketPath,
  defaultHome,
  controlSocketPath,
  ensureHomeDir,
  ensurePrivateDir,
  privateDirProblem,
  resolveHome,
  socketPrivateDir,
  type OwnerStats,
  type SocketPlace,
} from '../../../src-main/home/home-dir.js';
import { tempDir } from '../../helpers/temp-dir.js';

const unix = process.platform !== 'win32';
const asRoot = unix && process.getuid?.() === 0;
/** The uid of `nobody`: "another user" for the tests that run as root. */
const OTHER_UID = 65534;

const deepHome = '/home/alice/' + 'very-long-directory-name/'.repeat(5) + 'Clawbridge';
const place = (over: Partial<SocketPlace> = {}): SocketPlace => ({
  platform: 'linux',
  env: {},
  uid: 1000,
  tmpdir: '/tmp',
  isPrivateDir: () => true,
  ...over,
});

const fakeStats = (
  over: Partial<{ uid: number; mode: number; kind: 'dir' | 'link' | 'file' | 'socket' }>,
) => {
  const { uid = 1000, mode = 0o700, kind = 'dir' } = over;
  return {
    uid,
    mode,
    isDirectory: () => kind === 'dir',
    isSymbolicLink: () => kind === 'link',
    isSocket: () => kind === 'socket',
  } satisfies OwnerStats;
};

test('socket path: in the home when it fits; a named pipe on Windows', () => {
  assert.equal(
    chooseControlSocketPath('/home/alice/.config/Clawbridge', place()),
    '/home/alice/.config/Clawbridge/agent.sock',
  );
  assert.match(
    chooseControlSocketPath(deepHome, place({ platform: 'win32' })),
    /^\\\\\.\\pipe\\clawbridge-[0-9a-f]{16}$/,
  );
  assert.equal(socketPrivateDir('/home/alice/.config/Clawbridge/agent.sock', 'linux'), undefined);
});

test('socket path for a deep home: in a per-user directory, not directly in the temp directory', () => {
  const path = chooseControlSocketPath(deepHome, place());
  assert.match(path, /^\/tmp\/clawbridge-1000\/clawbridge-[0-9a-f]{16}\.sock$/);
  assert.equal(socketPrivateDir(path, 'linux'), '/tmp/clawbridge-1000');
  // The same home always maps to the same socket; another home to another one.
  assert.equal(chooseControlSocketPath(deepHome, place()), path);
  assert.notEqual(chooseControlSocketPath(deepHome + '2', place()), path);
  // Through the real environment too (uid and temp directory of this process).
  const real = controlSocketPath(deepHome);
  if (unix) {
    assert.notEqual(
      dirname(real),
      tmpdir(),
      'the fallback socket must not sit directly in the shared temp dir',
    );
    assert.equal(socketPrivateDir(real), dirname(real));
  }
});

test('socket path: $XDG_RUNTIME_DIR when it is private to us, else the temp fallback', () => {
  const env = { XDG_RUNTIME_DIR: '/run/user/1000' };
  const asked: string[] = [];
  const inRuntime = chooseControlSocketPath(
    deepHome,
    place({ env, isPrivateDir: (d) => (asked.push(d), true) }),
  );
  assert.match(inRuntime, /^\/run\/user\/1000\/clawbridge-[0-9a-f]{16}\.sock$/);
  assert.deepEqual(asked, ['/run/user/1000']);
  assert.equal(socketPrivateDir(inRuntime, 'linux'), '/run/user/1000');
  // Not ours / not 0700, relative, or too long: the private temp directory instead.
  for (const p of [
    place({ env, isPrivateDir: () => false }),
    place({ env: { XDG_RUNTIME_DIR: 'run/user/1000' } }),
    place({ env: { XDG_RUNTIME_DIR: '/run/' + 'x'.repeat(100) } }),
  ]) {
    assert.match(
      chooseControlSocketPath(deepHome, p),
      /^\/tmp\/clawbridge-1000\/clawbridge-[0-9a-f]{16}\.sock$/,
    );
  }
});

test('socket path: the limit counts bytes, not characters; with no place short enough, it says so', () => {
  // 74 characters, 128 bytes with agent.sock: it would be bound cut short, where no client finds it.
  const cyrillic = '/tmp/Документы/клавбридж-узел-резервный-сервер-два';
  assert.ok(cyrillic.length + '/agent.sock'.length <= 100, "cyrillic.length + '/agent.sock'.length <= 100");
  assert.match(
    chooseControlSocketPath(cyrillic, place()),
    /^\/tmp\/clawbridge-1000\/clawbridge-[0-9a-f]{16}\.sock$/,
  );
  assert.throws(
    () => chooseControlSocketPath(deepHome, place({ tmpdir: '/tmp/' + 't'.repeat(80) })),
    /no place for the control socket: .* is over the 100 bytes .*; use a shorter --home, or set TMPDIR to a shorter directory/,
  );
});

test('the default home ignores an empty or relative XDG_CONFIG_HOME, as the XDG spec says', () => {
  const fallback = join(homedir(), '.config', 'Clawbridge');
  assert.equal(defaultHome('linux', { XDG_CONFIG_HOME: '' }), fallback);
  assert.equal(defaultHome('linux', { XDG_CONFIG_HOME: 'relative/dir' }), fallback);
  assert.equal(defaultHome('linux', { XDG_CONFIG_HOME: '/xdg' }), '/xdg/Clawbridge');
});

test('privateDirProblem: a real directory of ours with no group/other access, nothing else', () => {
  assert.equal(privateDirProblem(fakeStats({}), 1000), undefined);
  assert.equal(privateDirProblem(fakeStats({ uid: OTHER_UID }), 1000), 'owned by uid 65534, not you');
  assert.equal(
    privateDirProblem(fakeStats({ mode: 0o40755 }), 1000),
    'mode 0755 lets other users in (want 0700)',
  );
  assert.equal(
    privateDirProblem(fakeStats({ mode: 0o710 }), 1000),
    'mode 0710 lets other users in (want 0700)',
  );
  assert.equal(privateDirProblem(fakeStats({ kind: 'link' }), 1000), 'a symbolic link, not a directory');
  assert.equal(privateDirProblem(fakeStats({ kind: 'file' }), 1000), 'not a directory');
});

test('checkPrivateDir / checkSocketOwner with injected stats: one clear line', () => {
  const fs = (st: OwnerStats) => ({ uid: 0, lstat: () => st });
  assert.throws(() => checkPrivateDir('/tmp/clawbridge-0', fs(fakeStats({ uid: OTHER_UID }))), {
    code: 'CONFIG_INVALID',
    message: 'refusing /tmp/clawbridge-0: owned by uid 65534, not you; remove it',
  });
  assert.throws(
    () => checkSocketOwner('/tmp/clawbridge-0/x.sock', fs(fakeStats({ uid: OTHER_UID, kind: 'socket' }))),
    /refusing control socket \/tmp\/clawbridge-0\/x\.sock: owned by uid 65534, not you: someone else is listening/,
  );
  assert.throws(
    () => checkSocketOwner('/tmp/clawbridge-0/x.sock', fs(fakeStats({ uid: 0, kind: 'file' }))),
    /refusing control socket .*: not a socket; remove it/,
  );
  checkSocketOwner('/tmp/clawbridge-0/x.sock', fs(fakeStats({ uid: 0, kind: 'socket' })));
});

test(
  'ensurePrivateDir: creates 0700; refuses a directory of another user, a link, or an open one',
  { skip: !asRoot },
  () => {
    const base = tempDir('cb-priv-');
    const mine = join(base, 'clawbridge-0');
    ensurePrivateDir(mine);
    assert.equal(statSync(mine).mode & 0o777, 0o700);
    ensurePrivateDir(mine); // existing and fine

    const theirs = join(base, 'theirs');
    mkdirSync(theirs, { mode: 0o700 });
    chownSync(theirs, OTHER_UID, OTHER_UID);
    assert.throws(() => ensurePrivateDir(theirs), {
      message: `refusing ${theirs}: owned by uid 65534, not you; remove it`,
    });

    const open = join(base, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    assert.throws(() => ensurePrivateDir(open), {
      message: `refusing ${open}: mode 0777 lets other users in (want 0700); remove it`,
    });

    // A link to a private directory of ours is still refused: its target could be switched later.
    const link = join(base, 'link');
    symlinkSync(mine, link);
    assert.throws(() => ensurePrivateDir(link), {
      message: `refusing ${link}: a symbolic link, not a directory; remove it`,
    });
    assert.ok(lstatSync(link).isSymbolicLink(), 'lstatSync(link).isSymbolicLink()');
  },
);

test(
  'ensureHomeDir: a new home is 0700, an open one of ours is tightened, one of another user refused',
  { skip: !unix },
  () => {
    const base = tempDir('cb-home-');
    const fresh = join(base, 'a', 'Clawbridge');
    ensureHomeDir(fresh);
    assert.equal(statSync(fresh).mode & 0o777, 0o700);

    const open = join(base, 'open');
    mkdirSync(open, { mode: 0o755 });
    chmodSync(open, 0o755);
    ensureHomeDir(open);
    assert.equal(statSync(open).mode & 0o777, 0o700);

    const file = join(base, 'file');
    writeFileSync(file, '');
    assert.throws(() => ensureHomeDir(file), /EEXIST|not a directory/);

    if (asRoot) {
      const theirs = join(base, 'theirs');
      mkdirSync(theirs, { mode: 0o755 });
      chownSync(theirs, OTHER_UID, OTHER_UID);
      assert.throws(() => ensureHomeDir(theirs), {
        code: 'CONFIG_INVALID',
        message: `refusing home ${theirs}: owned by uid 65534, not you; use a home of your own (--home)`,
      });
      assert.equal(statSync(theirs).mode & 0o777, 0o755, "another user's directory is left alone");
    }
  },
);

test('an empty --home is refused, not taken for the default home (another node)', () => {
  assert.throws(() => resolveHome('', { CLAWBRIDGE_HOME: '/tmp/x' }), /--home is empty/);
  assert.throws(() => resolveHome('  ', {}), /--home is empty/);
  assert.equal(resolveHome(undefined, { CLAWBRIDGE_HOME: '/tmp/x' }), '/tmp/x');
  assert.throws(() => resolveHome(undefined, { CLAWBRIDGE_HOME: ' ' }), /CLAWBRIDGE_HOME is set but empty/);
});
