import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants } from 'node:os';
import { ClawError } from '../../../src-main/core/errors.js';
import {
  asksForBoth,
  isUnknownTermParam,
  localExitCode,
  localTerminal,
  localTerminalType,
} from '../../../src-main/terminal/cli/term-command.js';
import { z } from 'zod';
import { newTerminalParams } from '../../../src-main/terminal/terminal-contract.js';
import { describeZodError } from '../../../src-main/core/zod-error.js';

test('the remote exit status becomes ours: code (at most 255), or 128 + the signal number', () => {
  assert.equal(localExitCode({ code: 0 }), 0);
  assert.equal(localExitCode({ code: 7 }), 7);
  assert.equal(localExitCode({ code: 0xc000013a }), 255);
  assert.equal(localExitCode({ signal: 'SIGKILL' }), 128 + constants.signals.SIGKILL);
  assert.equal(localExitCode({ signal: 'SIGNOPE' }), 129);
});

test('the remote program is told our terminal type, when stdout is a terminal and TERM is a terminfo name', () => {
  assert.equal(localTerminalType({ TERM: 'screen-256color' }, true), 'screen-256color');
  assert.equal(localTerminalType({ TERM: 'screen-256color' }, false), undefined);
  assert.equal(localTerminalType({}, true), undefined);
  assert.equal(localTerminalType({ TERM: 'xterm;reboot' }, true), undefined);
});

test('an agent that predates `term` refuses it in a way the CLI recognises (and then opens without it)', () => {
  // What an older agent's strict schema says: the same validator, without the field.
  const older = newTerminalParams({ z }).omit({ term: true }).strict();
  const parsed = older.safeParse({ peer: 'b', cols: 80, rows: 24, term: 'vt100' });
  assert.ok(!parsed.success, '!parsed.success');
  const refusal = new ClawError(
    'BAD_ARGUMENT',
    `invalid parameters for terminal.open: ${describeZodError(parsed.error)}`,
  );
  assert.equal(isUnknownTermParam(refusal), true);
  const current = newTerminalParams({ z });
  const withoutModes = [
    current.omit({ echo: true }).strict().safeParse({ peer: 'b', cols: 1, rows: 1, echo: false }),
    current.omit({ opost: true }).strict().safeParse({ peer: 'b', cols: 1, rows: 1, opost: false }),
    current.omit({ pty: true }).strict().safeParse({ peer: 'b', cols: 1, rows: 1, pty: false }),
  ];
  for (const r of withoutModes) {
    assert.ok(!r.success, '!r.success');
    const e = new ClawError(
      'BAD_ARGUMENT',
      `invalid parameters for terminal.open: ${describeZodError(r.error)}`,
    );
    assert.equal(isUnknownTermParam(e), true, e.message);
  }
  assert.equal(isUnknownTermParam(new ClawError('BAD_ARGUMENT', 'no peer named b')), false);
  assert.equal(isUnknownTermParam(new ClawError('PEER_OFFLINE', 'b is offline ("term")')), false);
});

test('pipes on our side: no remote terminal, unless -t; a peer that can only run one neither echoes nor processes output', () => {
  const env = { TERM: 'vt100' };
  assert.deepEqual(localTerminal(env, true, true), { term: 'vt100' });
  assert.deepEqual(localTerminal(env, false, true), { term: 'vt100', echo: false, pty: false });
  assert.deepEqual(localTerminal(env, true, false), { opost: false, pty: false });
  assert.deepEqual(localTerminal(env, false, false), { echo: false, opost: false, pty: false });
  // -t: a terminal over there all the same (a password prompt behind a pipe); -T: pipes in a terminal.
  assert.deepEqual(localTerminal(env, false, false, true), { echo: false, opost: false });
  assert.deepEqual(localTerminal(env, true, true, false), { term: 'vt100', pty: false });
});

test('-t and -T together are refused however they are written; after -- they belong to the command', () => {
  for (const args of [
    ['term', 'b', '-t', '-T'],
    ['term', '-tT', 'b'],
    ['term', 'b', '--tty', '--no-tty'],
    ['term', '-nt', 'b', '-T'],
  ]) {
    assert.equal(asksForBoth(args), true, args.join(' '));
  }
  for (const args of [
    ['term', 'b', '-t'],
    ['term', 'b', '-T', '-n'],
    ['term', 'b', '-t', '--', 'ls', '-T'],
  ]) {
    assert.equal(asksForBoth(args), false, args.join(' '));
  }
});
