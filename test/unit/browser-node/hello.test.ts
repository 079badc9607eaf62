/**
 * The browser's hello as the agent reads it (docs/protocol.md §Hello): it parses with the agent's own
 * schema, and says `guest` exactly where an agent's would — dialing a group's device as a member, not a
 * device it paired with (ADR 0100). And its pairing circuit's first frame is the agent's, a group
 * invitation's naming its use: an inviter meets a code only with a hello of its own use.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ownHello, parseHello } from '../../../src-main/links/control-service.js';
import { encodePairHello } from '../../../src-main/protocol/pairing-wire.js';
import { INVITATION_USE } from '../../../src-main/group-members/invitations.js';
import { browserHello } from '../../../src-web/node/browser-node.js';
import { pairHello } from '../../../src-web/node/pairing.js';

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

test("the browser's pairing hello is the agent's: a pairing code's names no use, a group invitation's its own", () => {
  assert.deepEqual(pairHello('K7QX'), new Uint8Array(encodePairHello('K7QX')), 'pairing');
  assert.deepEqual(
    pairHello('K7QX', 'group'),
    new Uint8Array(encodePairHello('K7QX', INVITATION_USE)),
    'a group invitation',
  );
});
