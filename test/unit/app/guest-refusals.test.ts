/**
 * A guest (a node let in without a pairing) has no record here to rename, limit or remove: the
 * refusal says where the change is decided, as the domain that let it in says it (its guest source's
 * `decidedWhere`), so app/peer-api.ts names no domain's command (ADR 0118). The groups' words are the
 * groups' own (groups/guest-refusals.ts), as they were.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isClawError } from '../../../src-main/core/errors.js';
import { hereHint } from '../../../src-main/core/hint.js';
import { refuseGuest } from '../../../src-main/app/peer-api.js';
import type { ReadonlyPeerEntry } from '../../../src-main/links/ports.js';
import { GuestList, type Guest, type GuestSource } from '../../../src-main/services/admission.js';
import { groupGuestDecision } from '../../../src-main/groups/guest-refusals.js';

const FP = 'a'.repeat(64);

function guestSource(guest: Guest, decidedWhere?: GuestSource['decidedWhere']): GuestSource {
  return { guests: () => [guest], onChange: () => () => {}, ...(decidedWhere ? { decidedWhere } : {}) };
}

/** What refuseGuest throws for `peers rename` of the guest `guest`, let in by `source`. */
function refusal(source: GuestSource, change: 'name' | 'words' | 'access' = 'name') {
  const guests = new GuestList();
  guests.add(source);
  const entry = { fingerprint: FP, record: { fingerprint: FP, name: 'visitor' } } as ReadonlyPeerEntry;
  const agent = {
    links: { peerEntries: () => [entry] },
    state: { peer: () => undefined },
    guests,
  } as unknown as Parameters<typeof refuseGuest>[0];
  try {
    refuseGuest(agent, 'visitor', 'rename', change, { permission: 'relay', on: true });
  } catch (err) {
    assert.ok(isClawError(err, 'BAD_ARGUMENT'), `refused as a bad argument: ${String(err)}`);
    return { message: err.message, hint: err.hint };
  }
  assert.fail('a guest is refused');
}

const toyGuest: Guest = { fingerprint: FP, name: 'visitor', allow: [], because: ['toy pass'], dial: false };

test("a guest of a domain that is not the groups' is refused with that domain's words and command", () => {
  const { message, hint } = refusal(
    guestSource(toyGuest, (_guest, change) => ({
      before: `its ${change} is the toy's: `,
      hint: hereHint(['toy', 'ls']),
      after: ' shows it',
    })),
  );
  assert.equal(
    message,
    "cannot rename visitor: it is here through toy pass, not paired; its name is the toy's: `clawbridge toy ls` shows it",
    "the toy's words, not a group's",
  );
  assert.deepEqual(hint?.argv, ['toy', 'ls'], "the hint is the toy's command");
  assert.doesNotMatch(message, /group/, 'no group command for a guest no group let in');
});

test('a source that says nothing of where: the refusal says why, with no command', () => {
  const { message, hint } = refusal(guestSource(toyGuest));
  assert.equal(
    message,
    'cannot rename visitor: it is here through toy pass, not paired; what let it in decides that',
  );
  assert.equal(hint, undefined, 'no command');
});

test("the groups' guest: the group command that applies, as before", () => {
  const member: Guest = {
    fingerprint: FP,
    name: 'm/d',
    allow: ['relay'],
    because: ['group lab'],
    dial: false,
  };
  const source = guestSource(member, groupGuestDecision);
  const rename = refusal(source, 'name');
  assert.match(
    rename.message,
    /through group lab, not paired; its name is the one its group gives it .*`clawbridge group ls` shows it$/,
  );
  const words = refusal(source, 'words');
  assert.deepEqual(words.hint?.argv, ['group', 'allow', 'lab', 'relay'], 'the words it would come to');
  const device: Guest = { ...member, allow: [], dial: true };
  assert.deepEqual(refusal(guestSource(device, groupGuestDecision), 'access').hint?.argv, [
    'group',
    'leave',
    'lab',
  ]);
  assert.deepEqual(groupGuestDecision(device, 'words', undefined).hint.argv, ['pair', 'join', 'CODE']);
});
