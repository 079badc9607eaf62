import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatReport, computeTargets, type BenchResult } from '../../../bench/table.js';
import { summarize, UI_ECHO_SHELL_LINE, uiEchoRows, type UiKeySample } from '../../../bench/ui-echo.js';
import { READY_MARKER } from '../../../bench/terminal-echo.js';

const sample = (glyphMs: number, bytesMs: number | null, apiMessages = 0): UiKeySample => ({
  glyphMs,
  paintedMs: glyphMs + 1,
  sendMs: 0.1,
  bytesMs,
  apiMessages,
});

describe('summarize', () => {
  it('takes nearest-rank p50/p99 of the defined samples only', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.deepEqual(summarize([...values, null, Number.NaN]), { p50: 50, p99: 99 });
  });

  it('is null for nothing measured', () => {
    assert.deepEqual(summarize([]), { p50: null, p99: null });
    assert.deepEqual(summarize([null, null]), { p50: null, p99: null });
  });
});

describe('uiEchoRows', () => {
  it('makes ui-echo from the glyph times and ui-echo-bytes from the WebSocket times', () => {
    const ui = [sample(3, 2), sample(4, 2.5), sample(5, null, 2), sample(30, 20)];
    const { results, notes } = uiEchoRows({ ui, cli: [1, 1.2, 1.4, 9], ws: [1.1, 1.3] }, 500, [0.5, 0.6]);
    assert.deepEqual(results, [
      { name: 'ui-echo', MBps: null, p50Ms: 4, p99Ms: 30, setupMs: 500 },
      { name: 'ui-echo-bytes', MBps: null, p50Ms: 2.5, p99Ms: 20, setupMs: null },
    ]);
    const text = notes.join('\n');
    assert.match(text, /interleaved in blocks of \d+ with 4 keys through a second `clawbridge term b`/);
    assert.match(text, /whose echo took p50 1\.20 ms, p99 9\.00 ms/);
    assert.match(text, /floor: .* p50 0\.50 ms, p99 0\.60 ms over 2 messages/);
    assert.match(text, /API socket received 2 messages/);
    assert.match(text, /missed 1 of 4 echoes/);
    assert.match(text, /frame painted .* p50 5\.00 ms, p99 31\.00 ms/);
    assert.match(text, /Node ws client .*: p50 1\.10 ms, p99 1\.30 ms over 2 keys/);
  });

  it('feeds the ui-echo target: p50 at most 2 ms over term-echo-idle', () => {
    const { results } = uiEchoRows({ ui: [sample(3.4, 2)], cli: [1], ws: [] }, null);
    const rows: BenchResult[] = [
      { name: 'term-echo-idle', MBps: null, p50Ms: 1.4, p99Ms: 4, setupMs: 480 },
      ...results,
    ];
    const lines = computeTargets(rows, []);
    const ui = lines.find((l) => l.key === 'ui-echo-term-echo-idle p50Ms');
    assert.ok(Math.abs(ui!.value! - 2) < 1e-9, 'Math.abs(ui!.value! - 2) < 1e-9');
    assert.equal(ui?.pass, true);
    const bytes = lines.find((l) => l.key === 'ui-echo-bytes-term-echo-idle p50Ms');
    assert.ok(Math.abs(bytes!.value! - 0.6) < 1e-9, 'Math.abs(bytes!.value! - 0.6) < 1e-9');
    assert.equal(bytes?.pass, undefined);
    const slow = computeTargets([rows[0]!, { ...results[0]!, p50Ms: 3.5 }], []);
    assert.equal(slow.find((l) => l.key === 'ui-echo-term-echo-idle p50Ms')?.pass, false);
    assert.match(formatReport(rows, lines), /^ui-echo-term-echo-idle p50Ms\s+2\.00 ms\s+<= 2 ms\s+PASS$/m);
  });
});

describe('UI_ECHO_SHELL_LINE', () => {
  it('runs the same raw, non-echoing cat as term-echo and never shows the marker whole as typed', () => {
    assert.match(UI_ECHO_SHELL_LINE, /^stty raw -echo && printf .* && exec cat$/);
    assert.equal(UI_ECHO_SHELL_LINE.includes(READY_MARKER), false);
  });
});
