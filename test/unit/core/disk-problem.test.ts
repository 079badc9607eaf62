/**
 * A write the disk refuses says which disk and what to do (core/file-errors.ts diskProblem), through
 * every durable write (home/durable-file.ts): a full one, a quota used up, a read-only one (a real
 * read-only tmpfs when running as root).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isClawError } from '../../../src-main/core/errors.js';
import { diskProblem, isDiskProblem } from '../../../src-main/core/file-errors.js';
import { replaceFileSync } from '../../../src-main/home/durable-file.js';

const errno = (code: string) => Object.assign(new Error(`${code}: raw`), { code });
const mounts: string[] = [];
after(() => {
  for (const m of mounts) execFileSync('umount', ['-l', m]);
});

test('a full disk, a quota and a read-only disk are named by the folder they hold; others pass through', () => {
  const full = diskProblem('/home/me/.clawbridge/groups.json', errno('ENOSPC'));
  assert.ok(isClawError(full, 'DISK_FULL'), 'ENOSPC is DISK_FULL');
  assert.equal(
    (full as Error).message,
    'cannot write /home/me/.clawbridge/groups.json: the disk holding /home/me/.clawbridge is full: free space and try again',
  );
  assert.equal(((full as Error).cause as NodeJS.ErrnoException).code, 'ENOSPC', 'the cause is kept');
  assert.ok(isClawError(diskProblem('/h/x', errno('EDQUOT')), 'DISK_FULL'), 'EDQUOT is DISK_FULL');
  assert.match(String(diskProblem('/h/x', errno('EDQUOT'))), /your quota on the disk holding \/h is used up/);
  const readOnly = diskProblem('/h/x', errno('EROFS'));
  assert.ok(isClawError(readOnly, 'DISK_READ_ONLY'), 'EROFS is DISK_READ_ONLY');
  assert.match(
    String(readOnly),
    /the disk holding \/h is read-only: make it writable \(or use another --home\)/,
  );
  assert.ok(isDiskProblem(full) && isDiskProblem(readOnly), 'both are disk problems');
  const other = errno('EACCES');
  assert.equal(diskProblem('/h/x', other), other, 'any other error as it is');
  assert.equal(diskProblem('/h/x', full), full, 'said once, not wrapped again');
});

test(
  'a durable write on a read-only disk says so',
  { skip: process.getuid?.() === 0 ? false : 'needs root to mount a read-only tmpfs' },
  () => {
    const disk = mkdtempSync(join(tmpdir(), 'cb-ro-fs-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', disk]);
    mounts.push(disk);
    assert.throws(
      () => replaceFileSync(join(disk, 'config.json'), '{}', 0o600),
      (err: unknown) =>
        isClawError(err, 'DISK_READ_ONLY') && err.message.includes(`the disk holding ${disk} is read-only`),
      'the write fails naming the disk',
    );
  },
);
