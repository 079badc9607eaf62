/** Which events become notifications: requests, pairing done, a forward's step into error — once each. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ANNOUNCED_REQUEST_MS, NoticeDecider } from '../../../src-main/electron/notifications.js';
import { forward, peer, pending, proxy, statusEvent } from './status-fixtures.js';

test('a pending request: who, what to do, and Approvals on it', () => {
  const d = new NoticeDecider();
  assert.deepEqual(d.decide('pending.added', pending('laptop', 3)), [
    {
      title: 'laptop entered your code',
      body: 'Compare fingerprints on both screens, then approve or reject it.',
      open: { view: 'approvals', request: 'req3' },
    },
  ]);
  const byFingerprint = { ...pending('nas', 4), via: 'fingerprint' as const };
  assert.deepEqual(d.decide('pending.added', byFingerprint), [
    {
      title: 'nas wants to pair',
      body: 'It knows only your fingerprint, not a code — compare fingerprints before approving.',
      open: { view: 'approvals', request: 'req4' },
    },
  ]);
});

test('an issuer\'s request by code, as the agent sends it (pending.added, then joined): one "entered your code"', () => {
  const d = new NoticeDecider();
  const req = pending('laptop', 1);
  const shown = [
    ...d.decide('pending.added', req),
    ...d.decide('pairing', { role: 'new', step: 'joined', peerName: 'laptop', fingerprint: req.fingerprint }),
  ];
  assert.deepEqual(
    shown.map((n) => n.title),
    ['laptop entered your code'],
  );
});

test("an issuer's joined step and the request it creates are announced once; again after a while", () => {
  let now = 0;
  const d = new NoticeDecider(() => now);
  const req = pending('laptop', 1);
  const joined = d.decide('pairing', {
    role: 'new',
    step: 'joined',
    peerName: 'laptop',
    fingerprint: req.fingerprint,
  });
  assert.deepEqual(
    joined.map((n) => [n.title, n.open]),
    [['laptop entered your code', { view: 'approvals', request: req.fingerprint }]],
  );
  assert.deepEqual(d.decide('pending.added', req), []);
  now += ANNOUNCED_REQUEST_MS;
  assert.equal(d.decide('pending.added', req).length, 1);
});

test('pairing completed on either side; other steps say nothing', () => {
  const d = new NoticeDecider();
  assert.deepEqual(d.decide('pairing', { role: 'join', step: 'paired', peerName: 'desk' }), [
    { title: 'Paired with desk', body: 'desk approved this device.', open: { view: 'peers' } },
  ]);
  assert.equal(
    d.decide('pairing', { role: 'new', step: 'paired', peerName: 'laptop' })[0]!.body,
    'laptop is now a peer.',
  );
  for (const step of ['finding', 'checking', 'waiting', 'rejected', 'failed'] as const)
    assert.deepEqual(d.decide('pairing', { role: 'join', step }), [], step);
});

test('a forward entering error is notified on the transition only, also at the first status', () => {
  const d = new NoticeDecider();
  const titles = (e: ReturnType<typeof statusEvent>) => d.decide('status', e).map((n) => n.title);
  assert.deepEqual(titles(statusEvent({ forwards: [forward('web', 'error', 'port 8080 is taken')] })), [
    'web cannot listen on 127.0.0.1:8080',
  ]);
  assert.deepEqual(titles(statusEvent({ forwards: [forward('web', 'error', 'port 8080 is taken')] })), []);
  assert.deepEqual(titles(statusEvent({ forwards: [forward('web', 'listening')] })), []);
  assert.deepEqual(
    titles(statusEvent({ forwards: [forward('web', 'error')], proxies: [proxy('s', 'error')] })),
    ['web cannot listen on 127.0.0.1:8080', 's cannot listen on 127.0.0.1:1080'],
  );
  // Removed, then added again under the same name and failing: news again.
  assert.deepEqual(titles(statusEvent()), []);
  assert.deepEqual(titles(statusEvent({ forwards: [forward('web', 'error')] })), [
    'web cannot listen on 127.0.0.1:8080',
  ]);
});

test('path changes, peers coming and going and terminal events are never notified', () => {
  const d = new NoticeDecider();
  assert.deepEqual(d.decide('status', statusEvent({ peers: [peer('laptop', 'online', 'relay')] })), []);
  assert.deepEqual(d.decide('status', statusEvent({ peers: [peer('laptop', 'online', 'direct')] })), []);
  assert.deepEqual(d.decide('status', statusEvent({ peers: [peer('laptop', 'offline')] })), []);
  assert.deepEqual(d.decide('terminal', { id: 'a', state: 'failed' }), []);
  assert.deepEqual(d.decide('changed', { seq: 1, domains: ['peers', 'settings'] }), []);
});
