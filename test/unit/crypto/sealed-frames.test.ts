/** The sealed channel of codes: one use's frame never opens as another's, even under the same PAKE key. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { FileCodeChannel } from '../../../src-main/files/code-channel.js';
import { InvitationChannel } from '../../../src-main/group-members/invitation-frames.js';
import { FILE_CODE_MARKER } from '../../../src-main/protocol/file-code-frames.js';
import { INVITATION_MARKER } from '../../../src-main/protocol/group-invitation-frames.js';

test('a refusal sealed for a group invitation does not open as a file offer frame, nor the other way', () => {
  const key = randomBytes(32);
  const refused = { t: 'refused' as const, reason: 'no' };
  // Each frame is first shown to open on its own channel, so the refusals below are the channels' doing.
  assert.deepEqual(
    new InvitationChannel(key, 'joiner').open(new InvitationChannel(key, 'inviter').seal(refused), 'x'),
    refused,
  );
  assert.deepEqual(
    new FileCodeChannel(key, 'receiver').open(new FileCodeChannel(key, 'sender').seal(refused), 'x'),
    refused,
  );
  const invitation = new InvitationChannel(key, 'inviter').seal(refused);
  assert.throws(() => new FileCodeChannel(key, 'receiver').open(invitation, 'the offer'), {
    code: 'PAIRING_FAILED',
    message: 'expected the offer, and the other side sent something else',
  });
  const offer = new FileCodeChannel(key, 'sender').seal(refused);
  assert.throws(() => new InvitationChannel(key, 'joiner').open(offer, 'the group'), {
    code: 'PAIRING_FAILED',
  });
  // The marker carried over, the keys still differ: the salt keeps the two apart.
  const swapped = new Uint8Array([...FILE_CODE_MARKER, ...invitation.subarray(INVITATION_MARKER.length)]);
  assert.throws(() => new FileCodeChannel(key, 'receiver').open(swapped, 'the offer'), {
    code: 'PAIRING_FAILED',
    message: /failed authentication — someone interfered; ask the sender for a new code/,
  });
});
