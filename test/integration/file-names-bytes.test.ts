/**
 * Names arrive as the receiving system can hold them, with real agents on loopback through the CLI: a
 * folder holding `bad\xffname` (no UTF-8), `back\slash`, `new⏎line`, `tab⇥name`, `CON`,
 * `colon:star*q?.txt` and a normal file arrives on Linux, after `file get`, with every name byte for
 * byte and every modification time kept (the folders' too). A name the receiving disk cannot hold is
 * skipped alone: test/unit/files/file-names-skip.test.ts.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, stopAll } from '../helpers/processes.js';
import { TERMINAL_CONTROL } from '../helpers/hostile-peer.js';
import { addPeer, online, startNode } from './message-helpers.js';

after(stopAll);

const names: Buffer[] = [
  Buffer.concat([Buffer.from('bad'), Buffer.from([0xff]), Buffer.from('name')]),
  Buffer.from('back\\slash'),
  Buffer.from('new\nline'),
  Buffer.from('tab\tname'),
  Buffer.from('CON'),
  Buffer.from('colon:star*q?.txt'),
  Buffer.from('normal.txt'),
];
/** 2001-02-03 04:05:06 UTC and a day after each, in seconds. */
const when = (i: number) => 981_173_106 + i * 86_400;
const at = (dir: string, name: Buffer) => Buffer.concat([Buffer.from(`${dir}/`), name]);

test('awkward names arrive byte for byte, with their modification times', { timeout: 300_000 }, async () => {
  if (process.platform !== 'linux') return;
  const source = mkdtempSync(join(tmpdir(), 'cb-names-src-'));
  const tree = join(source, 'tree');
  mkdirSync(join(tree, 'sub'), { recursive: true });
  for (const [i, name] of names.entries()) {
    writeFileSync(at(tree, name), `file ${i}\n`);
    utimesSync(at(tree, name), when(i), when(i));
  }
  writeFileSync(join(tree, 'sub', 'kept.txt'), 'kept\n');
  utimesSync(join(tree, 'sub', 'kept.txt'), when(20), when(20));
  utimesSync(join(tree, 'sub'), when(21), when(21));
  utimesSync(tree, when(22), when(22));

  const a = await startNode('a');
  const b = await startNode('b');
  await addPeer(b, a, 'files');
  await addPeer(a, b, 'terminal');
  await online(a, 'b', 60_000);
  const sent = await cli(['file', 'send', 'b', tree, '--home', a.home], 120_000);
  assert.equal(sent.code, 0, sent.stderr);
  const out = mkdtempSync(join(tmpdir(), 'cb-names-out-'));
  const got = await cli(['file', 'get', out, '--home', b.home]);
  assert.equal(got.code, 0, got.stderr);
  assert.ok(!TERMINAL_CONTROL.test(got.stdout + got.stderr), 'what file get prints is escaped');

  const arrived = join(out, 'tree');
  const listed = readdirSync(arrived, { encoding: 'buffer' }).sort((x, y) => Buffer.compare(x, y));
  const wanted = [...names, Buffer.from('sub')].sort((x, y) => Buffer.compare(x, y));
  assert.deepEqual(
    listed.map((n) => n.toString('hex')),
    wanted.map((n) => n.toString('hex')),
    'every name byte for byte',
  );
  for (const [i, name] of names.entries()) {
    assert.equal(readFileSync(at(arrived, name), 'utf8'), `file ${i}\n`);
    assert.equal(
      lstatSync(at(arrived, name)).mtimeMs,
      when(i) * 1000,
      `${JSON.stringify(name.toString())}'s time`,
    );
  }
  assert.equal(lstatSync(join(arrived, 'sub', 'kept.txt')).mtimeMs, when(20) * 1000);
  assert.equal(lstatSync(join(arrived, 'sub')).mtimeMs, when(21) * 1000, 'a folder’s time');
  assert.equal(lstatSync(arrived).mtimeMs, when(22) * 1000, 'the top folder’s time');
});
