/**
 * A long-running command's stop signals, armed before its start (cli/stop-signals.ts stopOnSignals): a
 * signal during the start stops the command once it runs; later ones stop it when they come; a start
 * that failed listens no more.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { STOP_SIGNALS, stopOnSignals } from '../../../src-main/cli/stop-signals.js';

const source = () => new EventEmitter();

test('a signal while the command starts stops it once it runs, with that signal', () => {
  const signals = source();
  const armed = stopOnSignals(signals);
  signals.emit('SIGTERM');
  const stops: string[] = [];
  armed.started((s) => stops.push(s));
  assert.deepEqual(stops, ['SIGTERM']);
});

test('a signal after the start stops it when it comes; none before means no stop at the start', () => {
  const signals = source();
  const armed = stopOnSignals(signals);
  const stops: string[] = [];
  armed.started((s) => stops.push(s));
  assert.deepEqual(stops, [], 'nothing to stop yet');
  signals.emit('SIGHUP');
  assert.deepEqual(stops, ['SIGHUP']);
});

test('only the first signal of a kind waits: its listener is gone after it (a second one ends the process)', () => {
  const signals = source();
  stopOnSignals(signals);
  for (const s of STOP_SIGNALS) assert.equal(signals.listenerCount(s), 1, `${s} is listened for`);
  signals.emit('SIGINT');
  assert.equal(signals.listenerCount('SIGINT'), 0, 'the next SIGINT meets the default action');
});

test('a start that failed listens no more: signals then end the process as usual', () => {
  const signals = source();
  stopOnSignals(signals).cancel();
  for (const s of STOP_SIGNALS) assert.equal(signals.listenerCount(s), 0, `${s} is no longer listened for`);
});
