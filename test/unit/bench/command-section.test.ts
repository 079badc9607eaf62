import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseScriptJson } from '../../../bench/command-section.js';

describe('parseScriptJson', () => {
  it('reads a document printed alone, over several lines (footprint prints it indented)', () => {
    assert.deepEqual(parseScriptJson('{\n  "rows": [],\n  "idleSeconds": 60\n}\n'), {
      rows: [],
      idleSeconds: 60,
    });
  });

  it('reads the last line when other lines came first (npm run bench -- --json > FILE)', () => {
    const out =
      '\n> clawbridge@0.1.0 bench\n> npm run build:core && tsx bench/run.ts\n\n{"results":[],"ratios":{}}\n';
    assert.deepEqual(parseScriptJson(out), { results: [], ratios: {} });
  });

  it('refuses output with no JSON object, quoting how it ended', () => {
    assert.throws(
      () => parseScriptJson('relay scale failed: EMFILE\n'),
      /printed no JSON object \(stdout ended: "relay scale failed: EMFILE"\)/,
    );
    assert.throws(() => parseScriptJson('[1, 2]'), /printed no JSON object/);
  });
});
