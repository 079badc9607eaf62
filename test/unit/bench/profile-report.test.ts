import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatSection,
  hopBreakdown,
  lateNote,
  sectionJson,
  type PrintedSection,
} from '../../../bench/profile-report.js';
import type { QueueSummary } from '../../../bench/link-shape.js';

const q = (segments: number, p50: number, p99: number, aheadP99: number): QueueSummary => ({
  segments,
  waitMs: { p50, p99, max: p99 },
  aheadBytes: { p50: 0, p99: aheadP99, max: aheadP99 },
});

describe('hopBreakdown', () => {
  it('splits the echo into the set RTT, each queue and what is left for the end hosts', () => {
    const line = hopBreakdown(
      { up: q(50, 0, 0.2, 3000), down: q(4000, 80, 84, 1024 * 1024) },
      { p50Ms: 125, p99Ms: 130 },
      40,
    );
    assert.match(line, /^set RTT 40 ms; /);
    assert.match(line, /up p50 0\.0 \/ p99 0\.2 ms \(p99 3 KiB ahead\)/);
    assert.match(line, /down p50 80\.0 \/ p99 84\.0 ms \(p99 1\.0 MiB ahead\), 4050 segments/);
    assert.match(line, /echo p50 125\.0 ms − RTT − queues' p50 = 5\.0 ms in the end hosts/);
  });

  it('says so when a direction saw no segments', () => {
    assert.match(
      hopBreakdown({ up: q(0, 0, 0, 0), down: q(1, 0, 0, 0) }, { p50Ms: 41, p99Ms: 41 }, 40),
      /up: no segments/,
    );
  });
});

describe('formatSection and sectionJson', () => {
  const section: PrintedSection = {
    name: 'broadband',
    describe: '100 Mbit/s',
    rows: [
      { name: 'download raw-tcp', text: '256 MiB: 12.0 MB/s', MBps: 12.0004 },
      { name: 'echo-load term', text: 'p50 50 ms', p50Ms: 50, p99Ms: 65, loadMBps: 11 },
    ],
    lines: [
      { key: 'echo-load term p99 - RTT', value: 25, unit: 'ms', target: '<= 30 ms', pass: true },
      { key: 'term-true/ssh-true p50', value: 0.4, unit: 'x', target: '<= 0.33x', pass: false },
      { key: 'first-byte forward/ssh-L p50', value: null, unit: 'x', target: '<= 1.0x', pass: undefined },
      { key: 'ssh-L/raw-tcp', value: 0.96, unit: 'x', target: '', pass: undefined },
    ],
    notes: ['section took 150 s'],
  };

  it('prints rows, then each ratio prefixed with the profile and PASS / MISS / n/a, then notes', () => {
    const text = formatSection(section);
    const lines = text.split('\n');
    assert.equal(lines[0], 'profile broadband: 100 Mbit/s');
    assert.match(text, /^ {2}download raw-tcp {2}256 MiB: 12\.0 MB\/s$/m);
    assert.match(text, /^ {2}broadband echo-load term p99 - RTT\s+25\.0 ms\s+<= 30 ms\s+PASS$/m);
    assert.match(text, /^ {2}broadband term-true\/ssh-true p50\s+0\.400x\s+<= 0\.33x\s+MISS$/m);
    assert.match(text, /^ {2}broadband first-byte forward\/ssh-L p50\s+-\s+<= 1\.0x\s+n\/a$/m);
    assert.match(text, /^ {2}broadband ssh-L\/raw-tcp\s+0\.960x\s+-$/m);
    assert.equal(lines[lines.length - 1], '  note: section took 150 s');
  });

  it('puts the rows’ figures and the ratios in --json, rounded, null where missing', () => {
    const doc = sectionJson(section);
    assert.deepEqual(doc.rows[0], {
      name: 'download raw-tcp',
      MBps: 12,
      p50Ms: null,
      p99Ms: null,
      loadMBps: null,
    });
    assert.equal(doc.rows[1]!.loadMBps, 11);
    assert.deepEqual(doc.ratios, {
      'echo-load term p99 - RTT': 25,
      'term-true/ssh-true p50': 0.4,
      'first-byte forward/ssh-L p50': null,
      'ssh-L/raw-tcp': 0.96,
    });
  });
});

describe('lateNote', () => {
  it('flags a section whose emulator ran late by more than 5 ms or a tenth of the RTT at p99', () => {
    assert.equal(lateNote(3.7, 40), null);
    assert.equal(lateNote(5, 1), null);
    assert.match(lateNote(5.1, 1)!, /up to 5 ms late at p99 \(more than 5 ms\)/);
    assert.equal(lateNote(9.9, 100), null);
    assert.match(lateNote(250, 100)!, /up to 250 ms late at p99 \(more than 10 ms\): the machine starved it/);
    assert.equal(lateNote(Number.NaN, 40), null);
  });
});
