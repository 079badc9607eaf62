/**
 * The disposable store (core/disposables.ts): every undo runs once, the last added first, all of them
 * even when some throw, and what is added after disposal is undone at once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DisposableStore } from '../../../src-main/core/disposables.js';
import { Emitter } from '../../../src-main/core/emitter.js';

test('dispose undoes everything added, the last added first', () => {
  const store = new DisposableStore();
  const ran: string[] = [];
  store.add(() => ran.push('a'));
  store.add(
    () => ran.push('b'),
    () => ran.push('c'),
  );
  assert.equal(store.isDisposed, false);
  store.dispose();
  assert.deepEqual(ran, ['c', 'b', 'a']);
  assert.equal(store.isDisposed, true);
});

test('disposing twice undoes each once', () => {
  const store = new DisposableStore();
  let runs = 0;
  store.add(() => runs++);
  store.dispose();
  store.dispose();
  assert.equal(runs, 1);
});

test('an emitter subscription held in a store hears nothing once the store is disposed', () => {
  const events = new Emitter<{ tick: [number] }>();
  const heard: number[] = [];
  const store = new DisposableStore();
  store.add(events.on('tick', (n) => heard.push(n)));
  events.emit('tick', 1);
  store.dispose();
  events.emit('tick', 2);
  assert.deepEqual(heard, [1]);
  assert.equal(events.listenerCount('tick'), 0);
});

test('one undo that throws does not keep the others from running; its error comes after them', () => {
  const store = new DisposableStore();
  const ran: string[] = [];
  store.add(() => ran.push('first'));
  store.add(() => {
    throw new Error('boom');
  });
  store.add(() => ran.push('last'));
  assert.throws(() => store.dispose(), /boom/);
  assert.deepEqual(ran, ['last', 'first']);
  // Disposed all the same: nothing runs again.
  store.dispose();
  assert.deepEqual(ran, ['last', 'first']);
});

test('several throws come back together, every undo having run', () => {
  const store = new DisposableStore();
  let ran = 0;
  store.add(
    () => ran++,
    () => {
      throw new Error('one');
    },
    () => {
      throw new Error('two');
    },
  );
  assert.throws(
    () => store.dispose(),
    (err: unknown) =>
      err instanceof AggregateError &&
      err.errors.map((e: Error) => e.message).join(',') === 'two,one' &&
      ran === 1,
  );
});

test('what is added after disposal is undone at once', () => {
  const store = new DisposableStore();
  store.dispose();
  let runs = 0;
  store.add(() => runs++);
  assert.equal(runs, 1);
  store.dispose();
  assert.equal(runs, 1);
});
