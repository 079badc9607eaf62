// @ts-check
// What a failed test file said about its failures, short enough to print again at the end of a run.
// CI keeps only the tail of a long run's output: the file's own report of a failure (hundreds of lines
// above) was cut, and the end said only which files failed, not which test or why.

/** Lines of one file's digest at most: the first failures say enough. */
export const DIGEST_LINES = 40;

/** A stack frame inside Node itself: it never says where a test went wrong. */
const NODE_FRAME = /^\s+at (.*\()?(node:|internal\/)/;

/**
 * The failures `out` (a node:test spec report, whole) lists under "✖ failing tests:", without Node's
 * own stack frames, at most `max` lines. A file that ended before that list (a crash, a timeout of
 * the whole process) gives its last lines instead: they say how it ended.
 * @param {string} out @param {number} [max] @returns {string[]}
 */
export function failureDigest(out, max = DIGEST_LINES) {
  const lines = out.split('\n');
  const start = lines.findIndex((l) => l.startsWith('✖ failing tests:'));
  const picked =
    start >= 0
      ? lines.slice(start + 1).filter((l) => l.trim() !== '' && !NODE_FRAME.test(l))
      : lines.filter((l) => l.trim() !== '').slice(-max);
  return picked.length > max
    ? [...picked.slice(0, max - 1), `… ${picked.length - max + 1} more lines`]
    : picked;
}
