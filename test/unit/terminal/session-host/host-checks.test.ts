import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { z } from 'zod';
import { newTerminalFields } from '../../../../src-main/protocol/terminal-open-args.js';
import { MAX_COMMAND_ARGS, MAX_TERMINAL_DIMENSION } from '../../../../src-main/protocol/terminal-frames.js';
import {
  messageCheck,
  newTerminalFieldsCheck,
} from '../../../../src-main/terminal/session-host/host-checks.js';
import { hostRequest } from '../../../../src-main/terminal/session-host/host-protocol.js';

/** The fields as the agent checks a peer's OPEN with (zod), and as the host checks them (written out). */
const byZod = z.object(newTerminalFields()).strict();
const byHost = messageCheck(newTerminalFieldsCheck);

/** Values near and at every edge of each field. */
const dimension = fc.oneof(
  fc.integer({ min: -2, max: 3 }),
  fc.integer({ min: MAX_TERMINAL_DIMENSION - 1, max: MAX_TERMINAL_DIMENSION + 1 }),
  fc.constantFrom(1.5, Number.NaN, '80', null),
);
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const fields = fc.record(
  {
    command: maybe(
      fc.oneof(
        fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }),
        fc.constant(Array.from({ length: MAX_COMMAND_ARGS + 1 }, () => 'a')),
        fc.constant(['x'.repeat(8193)]),
        fc.constant([1]),
        fc.constant('sh'),
      ),
    ),
    cols: dimension,
    rows: dimension,
    term: maybe(
      fc.oneof(fc.constantFrom('xterm-256color', 'vt100', '-bad', 'a b', ''), fc.string({ maxLength: 70 })),
    ),
    echo: maybe(fc.oneof(fc.boolean(), fc.constant(0))),
    opost: maybe(fc.boolean()),
    pty: maybe(fc.oneof(fc.boolean(), fc.constant('false'))),
    shell: maybe(fc.constant('/bin/sh')),
  },
  { requiredKeys: [] },
);

test('property: the host takes exactly the new-session fields the agent takes (zod)', () => {
  fc.assert(
    fc.property(fields, (value) => {
      assert.equal(
        byHost.safeParse(value).success,
        byZod.safeParse(value).success,
        `one check took and the other refused ${JSON.stringify(value)}`,
      );
    }),
    { numRuns: 2000 },
  );
});

test('a refusal names the field that failed', () => {
  const r = hostRequest().safeParse({
    op: 'create',
    peer: 'ab'.repeat(32),
    peerName: 'x',
    resumeMs: 1,
    args: { cols: 0, rows: 24 },
  });
  assert.equal(r.success, false, 'cols 0 is refused');
  assert.match(r.success ? '' : r.error.message, /message\.args\.cols: expected 1 to 4096/);
});
