import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostLogger } from '../../../../src-main/terminal/session-host/host-log.js';

/** The lines a logger wrote, parsed. */
function logged(write: (log: ReturnType<typeof hostLogger>) => void): Record<string, unknown>[] {
  const lines: string[] = [];
  write(hostLogger({ write: (l) => lines.push(l) }, { pid: 7, part: 'session-host' }));
  assert.ok(
    lines.every((l) => l.endsWith('\n')),
    'each entry is one line',
  );
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

test("the host's log lines are pino's: level number, time, base fields, the entry's fields, msg", () => {
  const [info, warn] = logged((log) => {
    log.info({ socketPath: '/s' }, 'session host running');
    log.warn('a plain message');
  });
  assert.deepEqual(
    { ...info, time: 0 },
    { level: 30, time: 0, pid: 7, part: 'session-host', socketPath: '/s', msg: 'session host running' },
  );
  assert.equal(typeof info!.time, 'number', 'time is epoch ms, as pino writes it');
  assert.deepEqual(
    { ...warn, time: 0 },
    { level: 40, time: 0, pid: 7, part: 'session-host', msg: 'a plain message' },
  );
});

test('an err field is written as pino writes an error: type, message, stack', () => {
  const [line] = logged((log) => log.error({ err: new TypeError('boom') }, 'a request failed'));
  const err = line!.err as Record<string, unknown>;
  assert.equal(line!.level, 50, 'error is level 50');
  assert.equal(err.type, 'TypeError', 'the error names its type');
  assert.equal(err.message, 'boom', 'and its message');
  assert.match(String(err.stack), /TypeError: boom/, 'and its stack');
});

test('an entry that cannot be written as JSON still leaves its message', () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const [line] = logged((log) => log.fatal({ cyclic }, 'the session host failed'));
  assert.equal(line!.msg, 'the session host failed', 'the message survives');
  assert.equal(line!.level, 60, 'fatal is level 60');
});
