/**
 * `file get` (files/move-out.ts) and the links it writes, as a hostile sender would try them: links of
 * two transfers, each fine alone, that combine once both are moved into one folder to lead out of it;
 * and a link that leads out through a link the owner had there already. After every `get`, no link it
 * wrote resolves outside the folder, and each one it removed is named.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, readdirSync, readlinkSync, realpathSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { FileChannel } from '../../../src-main/files/file-channel.js';
import { FileReceiver } from '../../../src-main/files/file-receiver.js';
import { FileStore } from '../../../src-main/files/file-store.js';
import { moveOut } from '../../../src-main/files/move-out.js';
import type { FileFrame, OfferEntry } from '../../../src-main/protocol/file-frames.js';
import { duplexPair } from '../../helpers/duplex-pair.js';
import { tempDir } from '../../helpers/temp-dir.js';

const PEER = { fingerprint: 'cd'.repeat(32), name: 'a' };

/** Receives `entries` (links and folders only) as transfer `id` from a sender that says what it likes. */
async function receive(r: FileReceiver, id: string, entries: OfferEntry[]): Promise<void> {
  const pair = duplexPair();
  const got: FileFrame[] = [];
  let wake = () => undefined as void;
  const channel = new FileChannel(pair.a, (f) => {
    if (f.type !== 'data-parts') got.push(f);
    wake();
  });
  r.serve(pair.b, PEER);
  channel.send({ type: 'offer', id, entries, more: false });
  for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
    const end = got.find((f) => f.type === 'complete' || f.type === 'refuse');
    if (end) {
      assert.equal(end.type, 'complete', JSON.stringify(end));
      return;
    }
    // Woken by the next frame, or after 100 ms to check the deadline.
    await new Promise<void>((resolve) => {
      wake = resolve;
      setTimeout(resolve, 100);
    });
  }
  throw new Error('the transfer never completed');
}

/** Every link under `dir` whose resolution (the kernel's realpath) lands outside `dir`. */
function linksOutside(dir: string): string[] {
  const root = realpathSync.native(dir);
  const out: string[] = [];
  const walk = (abs: string) => {
    for (const name of readdirSync(abs)) {
      const p = join(abs, name);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) {
        let real: string | undefined;
        try {
          real = realpathSync.native(p); // the kernel's: fs.realpathSync reads `..` after a link lexically
        } catch {
          continue; // dangling or a loop: it leads nowhere
        }
        if (relative(root, real).startsWith('..')) out.push(`${relative(root, p)} -> ${real}`);
      } else if (st.isDirectory()) walk(p);
    }
  };
  walk(root);
  return out;
}

async function setup() {
  const store = new FileStore(tempDir('cb-links-home-'), { diskReserveBytes: 0 });
  await store.open();
  return { store, receiver: new FileReceiver(store) };
}

test('links of two transfers that combine to leave the folder: after file get none leads out', async () => {
  const { store, receiver } = await setup();
  // Each alone stays inside its transfer, lexically.
  await receive(receiver, '1'.repeat(32), [
    { path: 'x', kind: 'dir' },
    { path: 'x/up', kind: 'link', target: '..' },
  ]);
  // Lexically: up to the root, 16 names down, 16 up again, etc/passwd. On disk each x/up is the folder
  // itself, so the 16 `..` climb above it to `/`.
  const climb = `../${'x/up/'.repeat(8)}${'../'.repeat(16)}etc/passwd`;
  await receive(receiver, '2'.repeat(32), [
    { path: 'docs', kind: 'dir' },
    { path: 'docs/notes.txt', kind: 'link', target: climb },
  ]);
  const dl = tempDir('cb-links-dl-');
  // One `get` after the other (the links' order of arrival both ways round is covered: the second
  // `get` moves the link the first one's path goes through).
  const [first, second] = await store.list();
  const got1 = await moveOut(store, [second!], dl, 'rename');
  const got2 = await moveOut(store, [first!], dl, 'rename');
  assert.deepEqual(linksOutside(dl), [], 'no link under DL resolves outside it');
  assert.deepEqual([...got1.notKept, ...got2.notKept], []);
  assert.notEqual(realpathSafe(join(dl, 'docs', 'notes.txt')), '/etc/passwd');
  assert.equal(readlinkSync(join(dl, 'x', 'up')), '..');
});

test('a link that would lead out through a link the owner has in the folder is removed and named', async () => {
  const { store, receiver } = await setup();
  await receive(receiver, '3'.repeat(32), [
    { path: 'a', kind: 'dir' },
    { path: 'a/l', kind: 'link', target: '../etc/passwd' },
    { path: 'a/ok', kind: 'link', target: '../mine/file' },
  ]);
  const dl = tempDir('cb-links-dl-');
  symlinkSync('/etc', join(dl, 'etc'));
  mkdirSync(join(dl, 'mine'));
  const got = await moveOut(store, await store.list(), dl, 'rename');
  assert.deepEqual(
    got.notKept.map((l) => l.path),
    ['a/l'],
  );
  assert.match(got.notKept[0]!.why, /leads out of the folder/);
  assert.deepEqual(readdirSync(join(dl, 'a')), ['ok']);
  assert.deepEqual(linksOutside(join(dl, 'a')), []);
});

function realpathSafe(p: string): string | undefined {
  try {
    return realpathSync.native(p);
  } catch {
    return undefined;
  }
}
