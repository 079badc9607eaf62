/**
 * The disk reserve holds against offers that arrive together, with real agents on loopback: b's home on
 * a small tmpfs (1 GiB reserve + 100 MiB), four `file send`s of 60 MiB each from a at once. One fits;
 * the others are refused for the disk the first was promised. The reserve stays free, and b's settings
 * stay writable. Needs root (mount); skipped otherwise.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, statfsSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, stopAll } from '../helpers/processes.js';
import { addPeer, online, startNode } from './message-helpers.js';

const MiB = 1024 ** 2;
const RESERVE = 1024 * MiB;
const mounts: string[] = [];

after(async () => {
  await stopAll();
  for (const m of mounts) execFileSync('umount', ['-l', m]);
});

const root = process.getuid?.() === 0;

test(
  'four offers at once on a nearly full disk: one is taken, the reserve stays free, settings stay writable',
  { timeout: 300_000, skip: root ? false : 'needs root to mount a tmpfs' },
  async () => {
    const disk = mkdtempSync(join(tmpdir(), 'cb-reserve-fs-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${RESERVE / MiB + 100}m`, 'tmpfs', disk]);
    mounts.push(disk);
    const homeB = join(disk, 'home-b');
    mkdirSync(homeB, { mode: 0o700 });
    const source = mkdtempSync(join(tmpdir(), 'cb-reserve-src-'));
    const paths = ['1', '2', '3', '4'].map((n) => {
      const p = join(source, `part-${n}.bin`);
      writeFileSync(p, n);
      truncateSync(p, 60 * MiB); // sparse: costs the sending side no disk
      return p;
    });
    const a = await startNode('a');
    const b = await startNode('b', { home: homeB });
    await addPeer(b, a, 'files');
    await addPeer(a, b, 'terminal');
    await online(a, 'b', 60_000);
    const sends = await Promise.all(
      paths.map((p) => cli(['file', 'send', 'b', p, '--home', a.home], 120_000)),
    );
    const ok = sends.filter((r) => r.code === 0);
    const refused = sends.filter((r) => r.code !== 0);
    assert.ok(ok.length >= 1, sends.map((r) => r.stderr).join('\n'));
    for (const r of refused) assert.match(r.stderr, /not enough free disk/);
    const st = statfsSync(disk);
    const free = st.bavail * st.bsize;
    console.log(`[file-reserve] ${ok.length} of 4 sent; ${(free / MiB).toFixed(0)} MiB free after`);
    assert.ok(free >= RESERVE, `${(free / MiB).toFixed(0)} MiB free, the reserve is ${RESERVE / MiB} MiB`);
    const allow = await cli(['peers', 'allow', 'a', 'terminal', '--home', b.home]);
    assert.equal(allow.code, 0, allow.stderr);
  },
);
