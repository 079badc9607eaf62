/** The "New terminal" picker: only peers online now can be picked; the others say why not. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PeerInfo } from '../../../src-main/api/contract.js';
import { peerChoices } from '../../../src-renderer/features/terminals/peer-choices.js';

const peer = (name: string, state: PeerInfo['state']) => ({
  name,
  fingerprint: `fp-${name}`,
  state,
  online: state === 'online',
});

test('online peers come first and can be picked; offline and unreachable ones are listed disabled, with their state', () => {
  const { choices, none } = peerChoices([
    peer('a', 'offline'),
    peer('b', 'online'),
    peer('c', 'unreachable'),
  ]);
  assert.deepEqual(
    choices.map((c) => [c.label, c.disabled]),
    [
      ['b', false],
      ['a (offline)', true],
      ['c (unreachable)', true],
    ],
  );
  assert.equal(none, null);
});

test('with no peer online, or no peer at all, the picker says why', () => {
  const offline = peerChoices([peer('a', 'offline'), peer('w', 'waiting')]);
  assert.ok(
    offline.choices.every((c) => c.disabled),
    'offline.choices.every((c) => c.disabled)',
  );
  assert.match(offline.none ?? '', /No peer is online/);
  assert.match(peerChoices([]).none ?? '', /No peers yet/);
});

test('an online peer that refuses terminals to this device is listed disabled with why; unknown stays a choice', () => {
  const { choices, none } = peerChoices([
    { ...peer('n3', 'online'), theyAllow: ['forward'] },
    { ...peer('desk', 'online'), theyAllow: null },
    { ...peer('nas', 'online'), theyAllow: ['terminal'] },
  ]);
  assert.deepEqual(
    choices.map((c) => [c.label, c.disabled]),
    [
      ['desk', false],
      ['nas', false],
      ['n3 (does not allow terminals from this device)', true],
    ],
  );
  assert.equal(none, null);
});

test('with every online peer refusing terminals, the picker says so, not that none is online', () => {
  const { none } = peerChoices([{ ...peer('n3', 'online'), theyAllow: [] }, peer('old', 'offline')]);
  assert.match(none ?? '', /No online peer allows terminals from this device/);
});
