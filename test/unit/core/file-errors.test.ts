/** fileProblem: what a user reads when a file the node keeps cannot be read or written. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileProblem } from '../../../src-main/core/file-errors.js';
import { loadOrCreateUiToken, UI_TOKEN_FILE } from '../../../src-main/api/web-ui/ui-token.js';
import { nodeFingerprint } from '../../../src-main/home/identity-store.js';
import { tempDir } from '../../helpers/temp-dir.js';

const errno = (code: string) => Object.assign(new Error(`${code}: raw`), { code });

test('each errno a user can cause is one line naming the file and what to do; others pass through', () => {
  assert.match(
    String(fileProblem('/h/ui-token', errno('EISDIR'), 'write')),
    /\/h\/ui-token is a directory, not a file: move it away/,
  );
  assert.match(
    String(fileProblem('/f/identity.crt', errno('ENOTDIR'), 'read')),
    /\/f is not a directory: give --home a directory/,
  );
  assert.match(
    String(fileProblem('/h/x', errno('EACCES'), 'write')),
    /cannot write \/h\/x \(permission denied\)/,
  );
  assert.match(
    String(fileProblem('/h/x', errno('ENOSPC'), 'write')),
    /cannot write \/h\/x: the disk holding \/h is full: free space and try again/,
  );
  const other = errno('EIO');
  assert.equal(fileProblem('/h/x', other, 'read'), other);
});

test('a ui-token that is a directory, and a --home that is a file, are named as such', async () => {
  const home = tempDir('cb-file-errors-');
  mkdirSync(join(home, UI_TOKEN_FILE));
  assert.throws(() => loadOrCreateUiToken(home), /ui-token is a directory, not a file: move it away/);
  const file = join(home, 'a-file');
  writeFileSync(file, 'x');
  await assert.rejects(nodeFingerprint(file), /a-file is not a directory: give --home a directory/);
});
