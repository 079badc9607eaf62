/**
 * The browser's hello as the agent reads it (docs/protocol.md §Hello): it parses with the agent's own
 * schema, and says `guest` exactly where an agent's would — dialing a group's device as a member, not a
 * device it paired with (ADR 0100).
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ownHello, parseHello } from '../../../src-main/links/control-service.js';
import { browserHello } from '../../../src-web/node/browser-node.js';

test("the browser's hello parses as the agent's, guest as the agent says it", () => {
  const asMember = parseHello(browserHello('phone', true));
  assert.equal(asMember.guest, true, 'a member dialing a group device comes as a guest');
  assert.equal(
    asMember.guest,
    parseHello(ownHello('m2', [], undefined, undefined, true)).guest,
    'as an agent',
  );
  const paired = parseHello(browserHello('phone', false));
  assert.equal(paired.guest, undefined, 'a paired browser says nothing of it, as a peer does');
  assert.deepEqual(
    [paired.addresses, paired.homeRelay, paired.name],
    [[], null, 'phone'],
    'no address, no home relay: the relay is its only path',
  );
});
