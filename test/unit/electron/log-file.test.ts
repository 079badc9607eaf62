/** The desktop app's log files (electron/log-file.ts): appended, 0600, set aside as `.1` past their size. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openLogFile } from '../../../src-main/electron/log-file.js';
import { tempDir } from '../../helpers/temp-dir.js';

const unix = process.platform !== 'win32';

test('a log file is created 0600 in a new folder and appended to across opens', () => {
  const dir = join(tempDir('cb-logs-'), 'logs');
  const first = openLogFile(dir, 'agent.log', 1000);
  first.write('one\n');
  first.close();
  const second = openLogFile(dir, 'agent.log', 1000);
  second.line('two');
  second.close();
  const text = readFileSync(join(dir, 'agent.log'), 'utf8');
  assert.match(text, /^one\n\d{4}-\d\d-\d\dT[\d:.]+Z two\n$/);
  if (unix) {
    assert.equal(statSync(join(dir, 'agent.log')).mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
  }
  first.write('after close: ignored\n');
  assert.equal(readFileSync(join(dir, 'agent.log'), 'utf8'), text);
});

test('a file past its size is set aside as .1 at open and while written; only one old file is kept', () => {
  const dir = tempDir('cb-logs-');
  writeFileSync(join(dir, 'main.log'), 'x'.repeat(120));
  writeFileSync(join(dir, 'main.log.1'), 'oldest');
  const log = openLogFile(dir, 'main.log', 100);
  assert.equal(readFileSync(join(dir, 'main.log.1'), 'utf8'), 'x'.repeat(120), 'set aside at open');
  assert.equal(readFileSync(join(dir, 'main.log'), 'utf8'), '');
  for (let i = 0; i < 12; i++) log.write(`line ${String(i).padStart(3, '0')}\n`); // 9 bytes each
  log.close();
  assert.deepEqual(readdirSync(dir).sort(), ['main.log', 'main.log.1']);
  // 108 bytes were written: the first 12 lines reached 108 ≥ 100 after the 12th, so it is set aside
  // at the next write; with 12 lines nothing was written after, so all are still in main.log.
  assert.equal(readFileSync(join(dir, 'main.log'), 'utf8').split('\n').length - 1, 12);
  const again = openLogFile(dir, 'main.log', 100);
  again.write('next\n');
  again.close();
  assert.equal(readFileSync(join(dir, 'main.log'), 'utf8'), 'next\n');
  assert.match(readFileSync(join(dir, 'main.log.1'), 'utf8'), /^line 000\n[^]*line 011\n$/);
  for (const f of readdirSync(dir)) assert.ok(statSync(join(dir, f)).size <= 108, f);
});

test('while written, the file is set aside once it passes its size', () => {
  const dir = tempDir('cb-logs-');
  const log = openLogFile(dir, 'agent.log', 50);
  for (let i = 0; i < 20; i++) log.write(`line ${String(i).padStart(3, '0')}\n`);
  log.close();
  const current = readFileSync(join(dir, 'agent.log'), 'utf8');
  const previous = readFileSync(join(dir, 'agent.log.1'), 'utf8');
  assert.ok(current.endsWith('line 019\n'), current);
  assert.ok(
    Buffer.byteLength(current) <= 54 && Buffer.byteLength(previous) <= 54,
    'Buffer.byteLength(current) <= 54 && Buffer.byteLength(previous) <= 54',
  );
  assert.deepEqual(readdirSync(dir).sort(), ['agent.log', 'agent.log.1']);
});
