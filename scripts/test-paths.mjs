// @ts-check
// Which folders or files a run of scripts/run-tests.mjs covers. The arguments are paths under test/
// (`unit/cli`, `integration/x.test.ts`), and a path copied from the repository root or from the
// runner's own output (`test/unit/cli`) means the same: it used to become `test/test/unit/cli`, found
// no file and failed the run.
import { isAbsolute, join, relative, sep } from 'node:path';

/**
 * The absolute paths `wanted` names under `root`/test (the whole of test/ when none is named). A
 * leading `test/` (or `./test/`) is taken as the folder itself; an absolute path is kept as it is.
 * @param {string} root the repository's root @param {string[]} wanted @returns {string[]}
 */
export function testPaths(root, wanted) {
  const tests = join(root, 'test');
  if (wanted.length === 0) return [tests];
  return wanted.map((w) => {
    if (isAbsolute(w)) return w;
    const fromRoot = relative(root, join(root, w));
    const underTest = fromRoot === 'test' || fromRoot.startsWith(`test${sep}`);
    return underTest ? join(root, fromRoot) : join(tests, w);
  });
}
