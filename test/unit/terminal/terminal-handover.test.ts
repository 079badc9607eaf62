import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import {
  decodeHandOver,
  encodeHandOver,
  HANDOVER_MAX_AGE_MS,
  handOverMaxBytes,
  handOverPath,
  takeHandOver,
  writeHandOver,
  type HandedOverTerminal,
} from '../../../src-main/terminal/terminal-handover.js';
import { tempDir } from '../../helpers/temp-dir.js';

const LIMITS = { maxTerminals: 4, maxScrollback: 1024 };
const NOW = 1_800_000_000_000;

const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
const terminal = (): fc.Arbitrary<HandedOverTerminal> =>
  fc
    .record({
      peer: hex(64),
      peerName: fc.string({ minLength: 1, maxLength: 40 }),
      session: hex(32),
      from: fc.nat({ max: 2 ** 40 }),
      scrollback: fc.uint8Array({ maxLength: LIMITS.maxScrollback }).map((b) => Buffer.from(b)),
      cols: fc.integer({ min: 1, max: 500 }),
      rows: fc.integer({ min: 1, max: 500 }),
      pipes: fc.boolean(),
      command: fc.string({ maxLength: 100 }),
      startedAt: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    })
    .map((t) => ({ ...t }));

test('property: what is encoded decodes unchanged (one entry per peer session, at most the limit)', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(terminal(), {
        maxLength: LIMITS.maxTerminals,
        selector: (t) => `${t.peer}/${t.session}`,
      }),
      (terminals) => {
        const warned: string[] = [];
        assert.deepEqual(
          decodeHandOver(encodeHandOver(terminals, NOW), NOW + 1000, LIMITS, (l) => warned.push(l)),
          terminals,
        );
        assert.deepEqual(warned, []);
      },
    ),
  );
});

test('property: any text decodes to a list or nothing, never a throw', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
      const out = decodeHandOver(text, NOW, LIMITS, () => undefined);
      assert.ok(Array.isArray(out), 'Array.isArray(out)');
    }),
  );
});

test('a hand-over too old, from the future, or not this shape takes up nothing and says why', () => {
  const one: HandedOverTerminal = {
    peer: 'a'.repeat(64),
    peerName: 'srv',
    session: 'b'.repeat(32),
    from: 10,
    scrollback: Buffer.from('$ '),
    cols: 80,
    rows: 24,
    pipes: false,
    command: 'the shell',
    startedAt: new Date(NOW).toISOString(),
  };
  const text = encodeHandOver([one], NOW);
  const said: string[] = [];
  const warn = (l: string) => said.push(l);
  assert.deepEqual(decodeHandOver(text, NOW + HANDOVER_MAX_AGE_MS + 1, LIMITS, warn), []);
  assert.match(said.pop()!, /\d+ s old; their peers no longer keep them/);
  assert.deepEqual(decodeHandOver(text, NOW - 1, LIMITS, warn), []);
  assert.match(said.pop()!, /from the future/);
  assert.deepEqual(decodeHandOver('{"version":2}', NOW, LIMITS, warn), []);
  assert.match(said.pop()!, /not readable/);
  // One bad entry costs that entry alone.
  const file = JSON.parse(text) as { terminals: Record<string, unknown>[] };
  file.terminals.push({ ...file.terminals[0], session: 'not hex' });
  file.terminals.push({ ...file.terminals[0], scrollback: 'A'.repeat(4 * 400) });
  assert.deepEqual(decodeHandOver(JSON.stringify(file), NOW, LIMITS, warn), [one]);
  assert.equal(said.length, 2);
  assert.match(said[0]!, /terminal 2 dropped: .*session/);
  assert.match(said[1]!, /terminal 3 dropped/);
});

test('takeHandOver reads the file once and deletes it; the file is this user’s only', async () => {
  const home = tempDir('cb-handover-');
  const one: HandedOverTerminal = {
    peer: 'c'.repeat(64),
    peerName: 'srv',
    session: 'd'.repeat(32),
    from: 0,
    scrollback: Buffer.from('hello'),
    cols: 100,
    rows: 30,
    pipes: false,
    command: 'sh',
    startedAt: new Date().toISOString(),
  };
  writeHandOver(home, [one]);
  assert.ok(
    readFileSync(handOverPath(home), 'utf8').includes('aGVsbG8='),
    "readFileSync(handOverPath(home), 'utf8').includes('aGVsbG8=')",
  );
  assert.deepEqual(await takeHandOver(home, LIMITS, assert.fail), [one]);
  assert.equal(existsSync(handOverPath(home)), false);
  assert.deepEqual(await takeHandOver(home, LIMITS, assert.fail), [], 'no file: nothing, and nothing said');
  writeFileSync(handOverPath(home), 'garbage');
  const said: string[] = [];
  assert.deepEqual(await takeHandOver(home, LIMITS, (l) => said.push(l)), []);
  assert.equal(said.length, 1);
  assert.equal(existsSync(handOverPath(home)), false, 'a damaged file is not read again');
});

const handedOne = (): HandedOverTerminal => ({
  peer: 'e'.repeat(64),
  peerName: 'srv',
  session: 'f'.repeat(32),
  from: 0,
  scrollback: Buffer.from('hello'),
  cols: 80,
  rows: 24,
  pipes: false,
  command: 'sh',
  startedAt: new Date().toISOString(),
});

test('takeHandOver takes up no file a link points to: the link goes, its target stays', async () => {
  const home = tempDir('cb-handover-');
  const elsewhere = tempDir('cb-handover-elsewhere-');
  writeHandOver(elsewhere, [handedOne()]);
  symlinkSync(handOverPath(elsewhere), handOverPath(home));
  const said: string[] = [];
  assert.deepEqual(await takeHandOver(home, LIMITS, (l) => said.push(l)), []);
  assert.equal(said.length, 1);
  assert.match(said[0]!, /link/);
  assert.equal(existsSync(handOverPath(home)) || isLink(handOverPath(home)), false, 'the link is gone');
  assert.ok(existsSync(handOverPath(elsewhere)), 'what it pointed to is not touched');
});

test(
  'takeHandOver does not wait on a FIFO in its place, nor read an endless device',
  {
    skip: process.platform === 'win32' ? 'POSIX FIFOs and /dev/zero' : false,
  },
  async () => {
    const home = tempDir('cb-handover-');
    // Nobody ever writes to it: a blocking open or read would wait for good.
    execFileSync('mkfifo', [handOverPath(home)]);
    const said: string[] = [];
    assert.deepEqual(await takeHandOver(home, LIMITS, (l) => said.push(l)), []);
    assert.match(said.join('\n'), /not a regular file/);
    assert.equal(existsSync(handOverPath(home)), false, 'removed, so the next start does not meet it');

    symlinkSync('/dev/zero', handOverPath(home));
    said.length = 0;
    assert.deepEqual(await takeHandOver(home, LIMITS, (l) => said.push(l)), []);
    assert.match(said.join('\n'), /link/);
    assert.equal(isLink(handOverPath(home)), false);
  },
);

test('takeHandOver refuses a file larger than a hand-over of its limits holds, unread', async () => {
  const home = tempDir('cb-handover-');
  const path = handOverPath(home);
  writeHandOver(home, [handedOne()]);
  // A valid hand-over with a long tail: only the size says it is not one this agent wrote.
  truncateSync(path, handOverMaxBytes(LIMITS) + 1);
  const said: string[] = [];
  assert.deepEqual(await takeHandOver(home, LIMITS, (l) => said.push(l)), []);
  assert.match(said.join('\n'), /more than a hand-over holds/);
  assert.equal(existsSync(path), false);
  // The cap fits the largest hand-over the limits allow.
  const full = Array.from({ length: LIMITS.maxTerminals }, (_, i) => ({
    ...handedOne(),
    session: i.toString(16).padStart(32, '0'),
    scrollback: Buffer.alloc(LIMITS.maxScrollback, 0xff),
    peerName: 'p'.repeat(256),
    command: 'c'.repeat(1024),
  }));
  writeHandOver(home, full);
  assert.equal((await takeHandOver(home, LIMITS, assert.fail)).length, LIMITS.maxTerminals);
});

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
