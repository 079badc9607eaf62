/** How the Groups view says a group's device's state, and what its link opens it for. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deviceState, deviceTone } from '../../../src-renderer/features/groups/group-device-text.js';
import { GROUPS_LINKS } from '../../../src-renderer/features/groups/groups-links.js';

const device = { name: 'o2', fingerprint: 'a'.repeat(64), self: false, online: false, path: null, why: null };

test('a device: this device, online with its path, offline with why', () => {
  assert.equal(deviceState({ ...device, self: true }), 'this device');
  assert.equal(deviceTone({ ...device, self: true }), 'ok');
  assert.equal(deviceState({ ...device, online: true, path: 'relay' }), 'online, relay');
  assert.equal(deviceState({ ...device, online: true }), 'online');
  assert.equal(deviceState(device), 'offline');
  assert.equal(deviceState({ ...device, why: 'not linked yet' }), 'offline: not linked yet');
  assert.equal(deviceTone(device), 'down');
});

test('#groups?join=<code> fills in the invitation code; #groups alone opens the view', () => {
  const [link] = GROUPS_LINKS;
  const params = (p: Record<string, string>) => (k: string) => p[k] ?? null;
  assert.deepEqual(link!.intent(params({ join: 'K7QX-M2RT-9WZA' })), { joinCode: 'K7QX-M2RT-9WZA' });
  assert.deepEqual(link!.intent(params({})), {});
});

test('#groups?refused=<why> (a group invitation link the app refused) is said as one bounded line', () => {
  const [link] = GROUPS_LINKS;
  const params = (p: Record<string, string>) => (k: string) => p[k] ?? null;
  assert.deepEqual(link!.intent(params({ refused: 'group invitation has no code' })), {
    refusedLink: 'group invitation has no code',
  });
  const long = link!.intent(params({ refused: `a\nb${'x'.repeat(1000)}` }));
  assert.equal(long.refusedLink?.startsWith('a b'), true);
  assert.equal(long.refusedLink?.length, 300);
});
