/** The words of a peer marked as one of the owner's devices on its card (ADR 0056), and Approve's `mine`. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { introducedText, mineBadge } from '../../../src-renderer/features/peers/mine-text.js';
import { approveParams } from '../../../src-renderer/features/approvals/approve-params.js';
import { pending } from '../electron/status-fixtures.js';

test('the mine badge: none, mine, one-sided', () => {
  assert.equal(mineBadge({ mine: false, theyMarkMine: null }), null);
  assert.equal(mineBadge({ mine: true, theyMarkMine: null }), 'mine');
  assert.equal(mineBadge({ mine: true, theyMarkMine: true }), 'mine');
  assert.equal(mineBadge({ mine: true, theyMarkMine: false }), 'mine, one-sided');
});

test('introduced by: the introducer’s name here, else its short fingerprint', () => {
  const desk = { name: 'desk', fingerprint: 'b'.repeat(64) };
  assert.equal(introducedText({ introducedBy: null }, [desk]), null);
  assert.equal(introducedText({ introducedBy: desk.fingerprint }, [desk]), 'introduced by desk');
  assert.equal(introducedText({ introducedBy: 'c'.repeat(64) }, [desk]), 'introduced by cccccccc');
});

test('Approve sends mine only when ticked', () => {
  const req = pending('laptop', 1);
  assert.equal('mine' in approveParams(req, ['terminal']), false);
  assert.equal(approveParams(req, ['terminal'], true).mine, true);
});
