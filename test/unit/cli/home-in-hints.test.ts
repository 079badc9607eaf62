import assert from 'node:assert/strict';
import { test } from 'node:test';
import { homeArgument, withHomeInHints } from '../../../src-main/cli/output.js';
import { RelayCloseCode } from '../../../src-main/protocol/relay-close-codes.js';
import { relayCloseError } from '../../../src-main/transport/relay-errors.js';

test("an agent's hint gets this command's --home on each command run here, not on those run there", () => {
  const hint =
    'request 3 came with only a fingerprint: compare ab12 with what the other node shows (`clawbridge status` there), then run `clawbridge approve 3 --fingerprint ab12`';
  assert.equal(
    withHomeInHints(hint, '/tmp/my home'),
    "request 3 came with only a fingerprint: compare ab12 with what the other node shows (`clawbridge status` there), then run `clawbridge approve 3 --fingerprint ab12 --home '/tmp/my home'`",
  );
  assert.equal(
    withHomeInHints("no peer named 'x'; `clawbridge peers` lists them", '/h'),
    "no peer named 'x'; `clawbridge peers --home /h` lists them",
  );
  // Already there, or no --home given: unchanged.
  const withHome = '`clawbridge stop --home /a` first';
  assert.equal(withHomeInHints(withHome, '/b'), withHome);
  assert.equal(
    withHomeInHints('`clawbridge pending` to review', undefined),
    '`clawbridge pending` to review',
  );
});

test('the --home of a command line, in either spelling, and not after --', () => {
  assert.equal(homeArgument(['approve', '--home', '/h', '--latest']), '/h');
  assert.equal(homeArgument(['peers', '--home=/h']), '/h');
  assert.equal(homeArgument(['term', 'b', '--', 'ls', '--home', '/x']), undefined);
  assert.equal(homeArgument(['status']), undefined);
});

test("a relay's refusal: the commands for its owner stay without this node's --home", () => {
  const hint = withHomeInHints(
    relayCloseError('wss://r:7474', RelayCloseCode.NOT_AUTHORIZED, '').message,
    '/tmp/s',
  );
  assert.match(hint, /\(`clawbridge id --home \/tmp\/s` here\)/);
  assert.match(hint, /`clawbridge peers add FINGERPRINT --name NAME --allow terminal,forward,relay` there/);
  assert.match(hint, /`clawbridge peers allow NAME relay` there/);
  assert.doesNotMatch(hint, /peers [^`]*--home/);
});
