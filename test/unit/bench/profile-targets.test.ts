import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  lanNote,
  PROFILE_ROW,
  profileTargets,
  type ProfileRowFigures,
} from '../../../bench/profile-targets.js';
import type { BenchResult } from '../../../bench/table.js';

const R = PROFILE_ROW;

/** A broadband section where every issue-29 target is met. */
const good: ProfileRowFigures[] = [
  { name: R.raw, MBps: 12 },
  { name: R.forwardDirect, MBps: 11 },
  { name: R.forwardRelay, MBps: 10.8 },
  { name: R.sshL, MBps: 11.5 },
  { name: R.termTrue, p50Ms: 150 },
  { name: R.sshTrue, p50Ms: 500 },
  { name: R.sshTrueMaster, p50Ms: 300 },
  { name: R.firstByteForward, p50Ms: 85 },
  { name: R.firstByteSsh, p50Ms: 88 },
  { name: R.echoIdleTerm, p50Ms: 42, p99Ms: 50 },
  { name: R.echoIdleSsh, p50Ms: 41, p99Ms: 45 },
  { name: R.echoLoadTerm, p50Ms: 50, p99Ms: 65, loadMBps: 11 },
  { name: R.echoLoadSsh, p50Ms: 160, p99Ms: 240, loadMBps: 11.5 },
];
const broadband = { name: 'broadband', rttMs: 40 };
const verdicts = (lines: ReturnType<typeof profileTargets>) =>
  Object.fromEntries(lines.filter((l) => l.target !== '').map((l) => [l.key, l.pass]));

describe('profileTargets', () => {
  it('judges every broadband target of issue 29 from the section rows', () => {
    const lines = profileTargets(broadband, good, null);
    assert.deepEqual(verdicts(lines), {
      'forward-direct/raw-tcp': true,
      'forward-relay/raw-tcp': true,
      'term-true/ssh-true p50': true,
      'first-byte forward/ssh-L p50': true,
      'echo-load term p99 - RTT': true,
      'echo-load term download/raw-tcp': true,
    });
    const over = lines.find((l) => l.key === 'echo-load term p99 - RTT');
    assert.deepEqual([over?.value, over?.unit, over?.target], [25, 'ms', '<= 30 ms']);
    // ssh's echo under load is printed beside it, with no target.
    const ssh = lines.find((l) => l.key === 'echo-load ssh p99 - RTT');
    assert.deepEqual([ssh?.value, ssh?.target, ssh?.pass], [200, '', undefined]);
  });

  it('misses each broadband target on its own side of the bound', () => {
    const bad = good.map((r) => {
      if (r.name === R.forwardRelay) return { ...r, MBps: 10.7 }; // 0.8917x raw
      if (r.name === R.termTrue) return { ...r, p50Ms: 170 }; // 0.34x
      if (r.name === R.firstByteForward) return { ...r, p50Ms: 89 };
      if (r.name === R.echoLoadTerm) return { ...r, p99Ms: 70.5, loadMBps: 10.7 };
      return r;
    });
    const v = verdicts(profileTargets(broadband, bad, null));
    assert.equal(v['forward-direct/raw-tcp'], true);
    assert.equal(v['forward-relay/raw-tcp'], false);
    assert.equal(v['term-true/ssh-true p50'], false);
    assert.equal(v['first-byte forward/ssh-L p50'], false);
    assert.equal(v['echo-load term p99 - RTT'], false);
    assert.equal(v['echo-load term download/raw-tcp'], false);
  });

  it('judges long-fat against the raw TCP ceiling and 2x ssh -L', () => {
    const rows = [
      { name: R.raw, MBps: 60 },
      { name: R.forwardDirect, MBps: 54 },
      { name: R.sshL, MBps: 27.5 },
    ];
    const v = verdicts(profileTargets({ name: 'long-fat', rttMs: 100 }, rows, null));
    assert.deepEqual(v, {
      'forward-direct/raw-tcp': true,
      'forward-direct/ssh-L': false,
      // The echo-load lines exist in every profile but are targeted only on broadband.
    });
    const slow = verdicts(
      profileTargets(
        { name: 'long-fat', rttMs: 100 },
        [...rows.slice(0, 1), { name: R.forwardDirect, MBps: 53 }, { name: R.sshL, MBps: 20 }],
        null,
      ),
    );
    assert.deepEqual(slow, { 'forward-direct/raw-tcp': false, 'forward-direct/ssh-L': true });
  });

  it("judges long-fat's first download on a new connection against raw TCP's (issue 52)", () => {
    const rows = [
      { name: R.raw, MBps: 60 },
      { name: R.forwardDirect, MBps: 58 },
      { name: R.sshL, MBps: 20 },
      { name: R.rawFresh, MBps: 59 },
      { name: R.forwardDirectNewLink, MBps: 53.5 },
      { name: R.forwardDirectFresh, MBps: 55.5 },
    ];
    const lines = profileTargets({ name: 'long-fat', rttMs: 100 }, rows, null);
    const fresh = lines.find((l) => l.key === 'forward-direct/raw-tcp new connection');
    assert.deepEqual([fresh?.target, fresh?.pass], ['>= 0.9x', true]);
    assert.ok(Math.abs(fresh!.value! - 55.5 / 59) < 1e-9, 'Math.abs(fresh!.value! - 55.5 / 59) < 1e-9');
    const newLink = lines.find((l) => l.key === 'forward-direct/raw-tcp new link');
    assert.deepEqual([newLink?.target, newLink?.pass], ['>= 0.9x', true]);
    const slow = rows.map((r) => (r.name === R.forwardDirectFresh ? { ...r, MBps: 41 } : r));
    const v = verdicts(profileTargets({ name: 'long-fat', rttMs: 100 }, slow, null));
    assert.equal(v['forward-direct/raw-tcp new connection'], false, '0.69x, the independent figure');
    assert.equal(v['forward-direct/raw-tcp new link'], true);
    assert.equal(v['forward-direct/raw-tcp'], true, 'the warmed-up download does not show it');
    // A section that timed no download on a new connection prints no such line.
    assert.equal(
      profileTargets(broadband, good, null).some((l) => l.key.endsWith('new connection')),
      false,
    );
  });

  it('leaves a target without a verdict when a row it needs was not measured', () => {
    const lines = profileTargets(
      broadband,
      good.filter((r) => r.name !== R.sshTrue),
      null,
    );
    const l = lines.find((x) => x.key === 'term-true/ssh-true p50');
    assert.deepEqual([l?.value, l?.pass, l?.target], [null, undefined, '<= 0.33x']);
  });

  const loop = (name: string, f: Partial<BenchResult>): BenchResult => ({
    name,
    MBps: null,
    p50Ms: null,
    p99Ms: null,
    setupMs: null,
    ...f,
  });
  const loopback: BenchResult[] = [
    loop('raw-tcp', { MBps: 1000 }),
    // The setup times (one cold first connection each) are not what first byte is judged against: with
    // them the lan line below would read 1.5 / 3 = 0.5x and pass.
    loop('ssh-L', { MBps: 500, setupMs: 1 }),
    loop('forward-direct', { MBps: 350, setupMs: 3 }),
    loop('first-byte-ssh-L', { p50Ms: 1 }),
    loop('first-byte-forward', { p50Ms: 1.2 }),
    loop('forward-relay', { MBps: 250 }),
    loop('term-true', { p50Ms: 300 }),
    loop('ssh-true', { p50Ms: 200 }),
    loop('term-echo-idle', { p50Ms: 1.2 }),
    loop('ssh-echo', { p50Ms: 0.5 }),
  ];

  it('judges lan ratios against the same ratios of this run’s loopback table (no worse by more than 10 %)', () => {
    const lan: ProfileRowFigures[] = [
      { name: R.raw, MBps: 100 },
      { name: R.sshL, MBps: 50 },
      { name: R.forwardDirect, MBps: 38 }, // 0.76 vs 0.7 on loopback: 1.086x, better
      { name: R.forwardRelay, MBps: 20 }, // 0.4 vs 0.5: 0.8x, worse by 20 %
      { name: R.termTrue, p50Ms: 330 },
      { name: R.sshTrue, p50Ms: 200 }, // 1.65 vs 1.5: 1.1x slower, on the bound
      { name: R.firstByteForward, p50Ms: 3 },
      { name: R.firstByteSsh, p50Ms: 2 }, // 1.5 vs 1.2: 1.25x slower
    ];
    const lines = profileTargets({ name: 'lan', rttMs: 1 }, lan, loopback);
    const get = (k: string) => lines.find((l) => l.key === `${k} vs loopback`);
    assert.equal(get('forward-direct/ssh-L')?.pass, true);
    assert.equal(get('forward-direct/ssh-L')?.target, '>= 0.9x');
    assert.equal(get('forward-relay/ssh-L')?.pass, false);
    assert.equal(get('term-true/ssh-true p50')?.pass, true);
    assert.equal(get('term-true/ssh-true p50')?.target, '<= 1.1x');
    assert.equal(get('first-byte forward/ssh-L p50')?.pass, false);
    // Better than loopback is no miss: a throughput ratio far above it, a time ratio far below it.
    const better = profileTargets(
      { name: 'lan', rttMs: 1 },
      [
        { name: R.sshL, MBps: 100 },
        { name: R.forwardDirect, MBps: 100 }, // 1.0 vs 0.7: 1.43x
        { name: R.termTrue, p50Ms: 100 },
        { name: R.sshTrue, p50Ms: 200 }, // 0.5 vs 1.5: 0.33x
      ],
      loopback,
    );
    const getBetter = (k: string) => better.find((l) => l.key === `${k} vs loopback`);
    assert.equal(getBetter('forward-direct/ssh-L')?.pass, true);
    assert.equal(getBetter('term-true/ssh-true p50')?.pass, true);
    // Raw TCP is no common ceiling (CPU on loopback, 1 Gbit/s on lan): not compared.
    assert.equal(get('ssh-L/raw-tcp'), undefined);
    // lan's echo rows were not measured here: no value, no verdict.
    assert.deepEqual(
      [get('echo-idle term/ssh p50')?.value, get('echo-idle term/ssh p50')?.pass],
      [null, undefined],
    );
  });

  it('prints the lan lines without a verdict when the loopback rows did not run, and says why', () => {
    const lines = profileTargets({ name: 'lan', rttMs: 1 }, good, null);
    const lan = lines.filter((l) => l.key.endsWith(' vs loopback'));
    assert.equal(lan.length, 5);
    assert.ok(
      lan.every((l) => l.value === null && l.pass === undefined && /^(>= 0\.9|<= 1\.1)x$/.test(l.target)),
      'lan.every((l) => l.value === null && l.pass === undefined && /^(>= 0\\.9|<= 1\\.1)x$/.test(l.target))',
    );
    assert.match(lanNote('lan', null)!, /loopback rows were not run/);
    assert.match(lanNote('lan', loopback)!, /no worse by more than 10 %/);
    assert.equal(lanNote('broadband', null), null);
    assert.equal(
      profileTargets(broadband, good, loopback).some((l) => l.key.endsWith(' vs loopback')),
      false,
    );
  });
});
