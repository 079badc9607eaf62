import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lifecycle, type LifecyclePart } from '../../../src-main/core/lifecycle.js';

/** Parts that write what they do to `log`; `failStart` / `failStop` name the ones that throw. */
function parts(
  names: string[],
  log: string[],
  opts: { failStart?: string; failStop?: string[]; noStart?: string[] } = {},
): LifecyclePart[] {
  return names.map((name) => ({
    name,
    ...(opts.noStart?.includes(name)
      ? {}
      : {
          start: async () => {
            await Promise.resolve();
            log.push(`start ${name}`);
            if (opts.failStart === name) throw new Error(`${name} cannot start`);
          },
        }),
    stop: () => {
      log.push(`stop ${name}`);
      if (opts.failStop?.includes(name)) throw new Error(`${name} cannot stop`);
    },
  }));
}

test('parts start in the order listed and stop in reverse', async () => {
  const log: string[] = [];
  const life = lifecycle(parts(['a', 'b', 'c'], log, { noStart: ['b'] }));
  assert.equal(life.state, 'idle');
  await life.start();
  assert.equal(life.state, 'running');
  await life.stop();
  assert.equal(life.state, 'stopped');
  assert.deepEqual(log, ['start a', 'start c', 'stop c', 'stop b', 'stop a']);
});

test('a start that fails stops only what started, in reverse, and rejects with its error', async () => {
  const log: string[] = [];
  const undone: string[] = [];
  const life = lifecycle(parts(['a', 'b', 'c', 'd'], log, { failStart: 'c', failStop: ['a'] }), {
    onUndoError: (part, err) => undone.push(`${part}: ${(err as Error).message}`),
  });
  await assert.rejects(life.start(), /c cannot start/);
  // c failed (its own start leaves nothing running), d never started; a's stop threw and b's still ran.
  assert.deepEqual(log, ['start a', 'start b', 'start c', 'stop b', 'stop a']);
  assert.deepEqual(undone, ['a: a cannot stop']);
  assert.equal(life.state, 'stopped');
  // Nothing is left to stop.
  await life.stop();
  assert.deepEqual(log, ['start a', 'start b', 'start c', 'stop b', 'stop a']);
});

test('a stop that throws does not keep the others from stopping; stop rejects afterwards', async () => {
  const log: string[] = [];
  const life = lifecycle(parts(['a', 'b', 'c'], log, { failStop: ['b'] }));
  await life.start();
  await assert.rejects(life.stop(), /b cannot stop/);
  assert.deepEqual(log.slice(3), ['stop c', 'stop b', 'stop a']);
  assert.equal(life.state, 'stopped');
});

test('several stops that throw are all reported, by part', async () => {
  const log: string[] = [];
  const life = lifecycle(parts(['a', 'b', 'c'], log, { failStop: ['a', 'c'] }));
  await life.start();
  await assert.rejects(life.stop(), (err: unknown) => {
    assert.ok(err instanceof AggregateError, 'err instanceof AggregateError');
    assert.equal(err.message, 'stopping c, a failed');
    assert.deepEqual(
      err.errors.map((e: Error) => e.message),
      ['c cannot stop', 'a cannot stop'],
    );
    return true;
  });
  assert.deepEqual(log.slice(3), ['stop c', 'stop b', 'stop a']);
});

test('stop twice is one stop; start twice is one start', async () => {
  const log: string[] = [];
  const life = lifecycle(parts(['a', 'b'], log));
  const first = life.start();
  assert.equal(life.start(), first);
  await first;
  const stop = life.stop();
  assert.equal(life.stop(), stop);
  await Promise.all([stop, life.stop()]);
  assert.deepEqual(log, ['start a', 'start b', 'stop b', 'stop a']);
});

test('a stop asked for during the start waits for it, then stops everything that started', async () => {
  const log: string[] = [];
  const life = lifecycle(parts(['a', 'b', 'c'], log));
  const started = life.start();
  const stopped = life.stop();
  await started;
  await stopped;
  assert.deepEqual(log, ['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a']);
});

test('a lifecycle stopped before it started stops nothing and will not start', async () => {
  const log: string[] = [];
  const life = lifecycle(parts(['a'], log));
  await life.stop();
  await assert.rejects(life.start(), /stopped before it started/);
  assert.deepEqual(log, []);
});

test('a lifecycle is a part of another: an inner failure stops the inner parts, then the outer ones', async () => {
  const log: string[] = [];
  const inner = lifecycle(parts(['inner-a', 'inner-b'], log, { failStart: 'inner-b' }));
  const outer = lifecycle([
    ...parts(['outer-a'], log),
    { name: 'inner', start: () => inner.start(), stop: () => inner.stop() },
    ...parts(['outer-c'], log),
  ]);
  await assert.rejects(outer.start(), /inner-b cannot start/);
  assert.deepEqual(log, ['start outer-a', 'start inner-a', 'start inner-b', 'stop inner-a', 'stop outer-a']);
});
