/** Human output: hints name commands a user can paste (with the home, quoted), and tables line up. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hintCommand, inFlagTerms, shellWord } from '../../../src-main/cli/output.js';
import { table } from '../../../src-main/cli/table.js';
import { displayWidth } from '../../../src-main/cli/display-width.js';

test('a hint carries --home only when the command had one', () => {
  assert.equal(hintCommand('pending'), 'clawbridge pending');
  assert.equal(hintCommand('approve --latest', '/tmp/cb-a'), 'clawbridge approve --latest --home /tmp/cb-a');
});

test('a home a shell would split or expand is single-quoted, and reads back unchanged', () => {
  assert.equal(shellWord('/home/me/cb tour'), `'/home/me/cb tour'`);
  assert.equal(shellWord("/tmp/it's"), `'/tmp/it'\\''s'`);
  assert.equal(shellWord('/tmp/$HOME'), `'/tmp/$HOME'`);
  assert.equal(shellWord('C:/Users/me'), 'C:/Users/me');
});

test("the agent's refusal of a parameter is said about the flag the user typed", () => {
  assert.equal(
    inFlagTerms('invalid parameters for forward.add: name: use 1–64 letters, digits, . _ -'),
    '--name: use 1–64 letters, digits, . _ -',
  );
  assert.equal(
    inFlagTerms('invalid parameters for peers.add: name: must not be empty'),
    '--name: must not be empty',
  );
  // Not a flag of that name: plain words, never the API method (a CLI user never typed `pair.new`).
  for (const [refused, what] of [
    ['invalid parameters for pair.new: ttlMs: Too small', 'ttlMs: Too small'],
    ['invalid parameters for peers.add: allow.0: Invalid option', 'allow.0: Invalid option'],
    ["invalid parameters for status: Unrecognized key: 'x'", "Unrecognized key: 'x'"],
  ]) {
    const line = inFlagTerms(refused!);
    assert.equal(
      line,
      `the agent refused a value this command sent (${what}): check the command's arguments (--help says what each takes)`,
    );
    assert.doesNotMatch(line, /pair\.new|peers\.add|parameters for/, `no API method in: ${line}`);
  }
  assert.equal(inFlagTerms('no peer named b'), 'no peer named b');
});

test('table columns line up in terminal columns, whatever the script of a name', () => {
  const nfd = 'Ünïcödé'.normalize('NFD');
  const out = table(
    ['NAME', 'STATE'],
    [
      ['b', 'online'],
      ['Rechner-日本語', 'online'],
      [nfd, 'offline'],
      ['e🚀laptop', 'online'],
      ['👩‍💻 desk', 'online'],
    ],
  ).split('\n');
  // Every STATE starts in the same column: the widest name takes 14 columns (日本語 alone takes 6).
  const starts = out.map((line) => displayWidth(line.slice(0, line.search(/(STATE|online|offline)$/))));
  assert.deepEqual(new Set(starts), new Set([16]), out.join('\n'));
  assert.equal(displayWidth('日本語'), 6);
  assert.equal(displayWidth(nfd), 7);
  assert.equal(displayWidth('👩‍💻'), 2);
  assert.equal(displayWidth('a\u200bb'), 2);
});
