import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { measureRendererJs, sizeOfFiles } from '../../../bench/renderer-size.js';

describe('sizeOfFiles', () => {
  it('sums raw sizes and the sizes of each file gzipped on its own', () => {
    const a = Buffer.from('const a = 1;\n'.repeat(1000));
    const b = Buffer.from('export {};\n');
    const s = sizeOfFiles('renderer-js', [a, b]);
    assert.equal(s.bytes, a.length + b.length);
    assert.equal(s.gzipBytes, gzipSync(a, { level: 9 }).length + gzipSync(b, { level: 9 }).length);
    assert.equal(s.files, 2);
    assert.ok((s.gzipBytes ?? Infinity) < (s.bytes ?? 0), '(s.gzipBytes ?? Infinity) < (s.bytes ?? 0)');
    // What is counted is a real gzip stream of the file.
    assert.equal(gunzipSync(gzipSync(a, { level: 9 })).length, a.length);
  });

  it('is zero for no files', () => {
    assert.deepEqual(sizeOfFiles('x', []), { name: 'x', bytes: 0, gzipBytes: 0, files: 0 });
  });
});

describe('measureRendererJs', () => {
  it('counts only the .js files of the folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-renderer-size-'));
    try {
      writeFileSync(join(dir, 'index-abc.js'), 'x'.repeat(300));
      writeFileSync(join(dir, 'chunk-def.js'), 'y'.repeat(200));
      writeFileSync(join(dir, 'index-abc.css'), 'z'.repeat(5000));
      mkdirSync(join(dir, 'nested.js'));
      const s = measureRendererJs(dir);
      assert.equal(s.name, 'renderer-js');
      assert.equal(s.bytes, 500);
      assert.equal(s.files, 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says the renderer is not built when there is no script or no folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-renderer-size-'));
    try {
      assert.throws(() => measureRendererJs(dir), /not built/);
      assert.throws(() => measureRendererJs(join(dir, 'missing')), /is the renderer built/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
