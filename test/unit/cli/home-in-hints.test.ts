/**
 * A hint (the command a message says to run, as data) as the CLI prints it: a command line after the
 * message, with this command's --home on commands for this node, never on those for the other node.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  commandArgs,
  hintCommandLine,
  hereHint,
  lineWithHint,
  peerHint,
} from '../../../src-main/core/hint.js';
import { ClawError, hintOf } from '../../../src-main/core/errors.js';
import { errorJson, homeArgument, jsonArgument } from '../../../src-main/cli/output.js';
import { RelayCloseCode } from '../../../src-main/protocol/relay-close-codes.js';
import { relayCloseError } from '../../../src-main/transport/relay-errors.js';

test('a hint for this node gets the --home the command was given; without one, none', () => {
  const approve = hereHint(['approve', '3', '--fingerprint', 'FINGERPRINT'], '--fingerprint');
  const message =
    'request 3 came with only a fingerprint, no pairing code: compare, then give the one it shows';
  assert.equal(
    lineWithHint(message, approve, '/tmp/my home'),
    `${message} (\`clawbridge approve 3 --fingerprint FINGERPRINT --home '/tmp/my home'\`)`,
  );
  assert.equal(
    lineWithHint(message, approve, undefined),
    `${message} (\`clawbridge approve 3 --fingerprint FINGERPRINT\`)`,
  );
  assert.equal(hintCommandLine(hereHint(['peers']), '/h'), 'clawbridge peers --home /h');
});

test('a hint for the other node never gets this --home, and says "there"', () => {
  const pairNew = peerHint(['pair', 'new']);
  assert.equal(
    lineWithHint('ask its owner for a code', pairNew, '/h'),
    'ask its owner for a code (`clawbridge pair new` there)',
  );
});

test('a hint that names its home already keeps it; its words are quoted as a shell needs', () => {
  const stop = hereHint(['stop', '--home', '/a']);
  assert.equal(hintCommandLine(stop, '/b'), 'clawbridge stop --home /a');
  assert.equal(hintCommandLine(hereHint(['agent', '--home=/a']), '/b'), 'clawbridge agent --home=/a');
  assert.equal(hintCommandLine(hereHint(['forward', 'rm', "it's"])), `clawbridge forward rm 'it'\\''s'`);
});

test('no hint: the message alone', () => {
  assert.equal(lineWithHint('agent unreachable', undefined, '/h'), 'agent unreachable');
});

test('the --home of a command line, in either spelling, and not after --', () => {
  assert.equal(homeArgument(['approve', '--home', '/h', '--latest']), '/h');
  assert.equal(homeArgument(['peers', '--home=/h']), '/h');
  assert.equal(homeArgument(['term', 'b', '--', 'ls', '--home', '/x']), undefined);
  assert.equal(homeArgument(['status']), undefined);
});

test('--json asks for JSON before --, not after (there it is the remote command’s)', () => {
  assert.equal(jsonArgument(['approve', 'x', '--json']), true);
  assert.equal(jsonArgument(['term', 'b', '--', 'jq', '--json']), false);
  assert.equal(jsonArgument(['status']), false);
});

test('a refused command as JSON: code, message and hint as data; no hint, no field', () => {
  const err = new ClawError('PEER_NOT_FOUND', "no peer named 'x'; `clawbridge peers` lists them", {
    hint: hereHint(['peers']),
  });
  assert.deepEqual(errorJson(err), {
    error: {
      code: 'PEER_NOT_FOUND',
      message: "no peer named 'x'; `clawbridge peers` lists them",
      hint: { argv: ['peers'], where: 'here' },
    },
  });
  assert.deepEqual(errorJson(new Error('boom')), { error: { code: 'INTERNAL', message: 'boom' } });
});

test("a relay's refusal: its command is for the relay's owner, so it stays without this node's --home", () => {
  const err = relayCloseError('wss://r:7474', RelayCloseCode.NOT_AUTHORIZED, '');
  assert.deepEqual(hintOf(err), {
    argv: ['peers', 'add', 'FINGERPRINT', '--name', 'NAME', '--allow', 'terminal,forward,relay'],
    where: 'peer',
  });
  const line = lineWithHint(err.message, hintOf(err), '/tmp/s');
  assert.match(
    line,
    /\(`clawbridge peers add FINGERPRINT --name NAME --allow terminal,forward,relay` there\)$/,
  );
  assert.doesNotMatch(line, /--home/);
  assert.doesNotMatch(err.message, /`/, 'the message itself holds no command in backticks');
});

test('a command the sentence names (at) is printed in its place with --home: the line reads as before hints', () => {
  const err = new ClawError(
    'PEER_NOT_FOUND',
    ...commandArgs("no peer named 'x'; ", hereHint(['peers']), ' lists them'),
  );
  assert.equal(err.message, "no peer named 'x'; `clawbridge peers` lists them", 'the message stands alone');
  assert.equal(
    lineWithHint(err.message, hintOf(err), '/tmp/my home'),
    "no peer named 'x'; `clawbridge peers --home '/tmp/my home'` lists them",
  );
  assert.deepEqual(errorJson(err), {
    error: {
      code: 'PEER_NOT_FOUND',
      message: "no peer named 'x'; `clawbridge peers` lists them",
      hint: { argv: ['peers'], where: 'here' },
    },
  });
});
