import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { killByPid, launch, runToEnd, tail } from '../../../bench/processes.js';

const node = process.execPath;

describe('bench processes', () => {
  it('waitFor resolves with the match of a line printed after a while', async () => {
    const p = launch(node, [
      '-e',
      "setTimeout(() => console.log('ready on port 4242'), 50); setTimeout(() => {}, 10000)",
    ]);
    try {
      const m = await p.waitFor(/port (\d+)/, 5_000, 'printer');
      assert.equal(m[1], '4242');
    } finally {
      await killByPid(p.proc);
    }
    assert.equal(p.proc.signalCode, 'SIGTERM');
  });

  it('waitFor rejects with the stderr tail when the program exits first', async () => {
    const p = launch(node, ['-e', "console.error('cannot bind'); process.exit(3)"]);
    await assert.rejects(
      p.waitFor(/never/, 5_000, 'server'),
      /server exited \(3\) before it was ready: cannot bind/,
    );
  });

  it('waitFor rejects after its time limit', async () => {
    const p = launch(node, ['-e', 'setTimeout(() => {}, 10000)']);
    try {
      await assert.rejects(p.waitFor(/never/, 100, 'sleeper'), /sleeper was not ready within 100 ms/);
    } finally {
      await killByPid(p.proc);
    }
  });

  it('runToEnd returns stdout, or fails with the stderr tail, or ends a program that takes too long', async () => {
    assert.equal(await runToEnd(node, ['-e', "console.log('{}')"], 5_000, 'json'), '{}\n');
    await assert.rejects(
      runToEnd(node, ['-e', "console.error('bad flag'); process.exit(2)"], 5_000, 'cmd'),
      /cmd failed \(2\): bad flag/,
    );
    await assert.rejects(
      runToEnd(node, ['-e', 'setTimeout(() => {}, 10000)'], 200, 'slow'),
      /slow took longer than 200 ms/,
    );
  });

  it('tail keeps the end on one line', () => {
    assert.equal(tail('a\nb\n'), 'a | b');
    assert.equal(tail(''), '(no output)');
    assert.equal(tail('x'.repeat(10), 4), '…xxxx');
  });
});
