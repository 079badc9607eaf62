/**
 * groups/group-exits-file.ts: who is owed the news of a removal, kept in `group-exits.json`: what is
 * saved loads back; a file that is not of its shape is moved aside with a warning, and the node
 * starts owing nothing; a save that fails warns and throws nothing.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { GROUP_EXITS_FILE, groupExitsFile } from '../../../src-main/groups/group-exits-file.js';
import type { GroupExit } from '../../../src-main/groups/group-exits.js';

const exit: GroupExit = {
  fingerprint: 'a'.repeat(64),
  group: 'b'.repeat(32),
  groupName: 'lab',
  name: 'mira/m2',
  root: 'c'.repeat(64),
  dial: false,
  until: 1_800_000_000_000,
  left: 3,
};

function home(): { dir: string; warnings: string[]; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'cb-exits-'));
  return { dir, warnings: [], done: () => rmSync(dir, { recursive: true, force: true }) };
}

test('what is saved loads back, and the file is the owner’s alone', () => {
  const h = home();
  const file = groupExitsFile(h.dir, (l) => h.warnings.push(l));
  assert.deepEqual(file.load(), [], 'no file yet: nothing owed');
  const told = { ...exit, fingerprint: 'd'.repeat(64), left: 0 };
  file.save([exit, told]);
  assert.deepEqual(
    groupExitsFile(h.dir, (l) => h.warnings.push(l)).load(),
    [exit, told],
    'loaded back, a device already told too',
  );
  if (process.platform !== 'win32')
    assert.equal(statSync(join(h.dir, GROUP_EXITS_FILE)).mode & 0o777, 0o600, 'mode 0600');
  assert.deepEqual(h.warnings, [], 'no warning');
  h.done();
});

test('a file not of its shape is moved aside with a warning, and nothing is owed', () => {
  for (const text of ['not json', JSON.stringify({ version: 1, exits: [{ ...exit, left: 99 }] })]) {
    const h = home();
    writeFileSync(join(h.dir, GROUP_EXITS_FILE), text);
    assert.deepEqual(groupExitsFile(h.dir, (l) => h.warnings.push(l)).load(), [], `nothing owed for ${text}`);
    assert.ok(
      existsSync(join(h.dir, `${GROUP_EXITS_FILE}.unreadable`)),
      'moved aside, for a person to look at',
    );
    assert.match(
      h.warnings.join('\n'),
      /not readable .* refused instead of told it was removed/,
      'says what it costs',
    );
    if (text !== 'not json')
      assert.match(h.warnings[0] ?? '', /\(exits\.0\.left: /, 'names the field, on one line');
    h.done();
  }
});

test('a save that fails warns and throws nothing', () => {
  const h = home();
  const notADir = join(h.dir, 'file');
  writeFileSync(notADir, '');
  groupExitsFile(notADir, (l) => h.warnings.push(l)).save([exit]);
  assert.match(h.warnings.join('\n'), /could not be saved/, 'warned');
  assert.equal(readFileSync(notADir, 'utf8'), '', 'nothing written over what was there');
  h.done();
});
