/**
 * Which events become notifications: requests, pairing done, a forward's step into error — once each;
 * a new message, once a minute per peer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InboxMessage } from '../../../src-main/messages/messages-contract.js';
import {
  ANNOUNCED_MESSAGES_MS,
  ANNOUNCED_REQUEST_MS,
  MESSAGE_PREVIEW_CHARS,
  NoticeDecider,
  preview,
} from '../../../src-main/electron/notifications.js';
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

test("a fingerprint-only request, then the node's code: told both, once each", () => {
  const d = new NoticeDecider();
  const req = { ...pending('laptop', 1), via: 'fingerprint' as const };
  const joined = { role: 'new', step: 'joined', peerName: 'laptop', fingerprint: req.fingerprint } as const;
  const shown = [
    ...d.decide('pending.added', req),
    ...d.decide('pairing', joined),
    ...d.decide('pending.added', req),
    ...d.decide('pairing', joined),
  ];
  assert.deepEqual(
    shown.map((n) => n.title),
    ['laptop wants to pair', 'laptop entered your code'],
  );
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

test('a new message: who, its text in one line, and Messages on that conversation; a reply to a program is not news', () => {
  let now = 0;
  const d = new NoticeDecider(() => now);
  const m = message('laptop', 'l', 'disk 93% full on /var —\ncheck it\u202e');
  assert.deepEqual(d.decide('message', m), [
    {
      kind: 'message',
      title: 'Message from laptop',
      body: 'disk 93% full on /var — check it',
      open: { view: 'messages', peer: 'l'.repeat(64) },
    },
  ]);
  // A burst from one peer is one notification; another peer's is its own; after a minute, news again.
  assert.deepEqual(d.decide('message', message('laptop', 'l', 'two')), []);
  assert.equal(
    d.decide('message', { ...message('nas', 'n', 'x'), topic: 'backup' })[0]!.title,
    'Message from nas (backup)',
  );
  now += ANNOUNCED_MESSAGES_MS;
  assert.equal(d.decide('message', message('laptop', 'l', 'three'))[0]!.body, 'three');
  now += ANNOUNCED_MESSAGES_MS;
  assert.deepEqual(d.decide('message', { ...message('laptop', 'l', 'answer'), replyTo: m.id }), []);
  const bytes = { ...message('laptop', 'l', ''), text: undefined, base64: 'AAE=' };
  assert.equal(d.decide('message', bytes)[0]!.body, 'Binary data — open Messages to see it.');
});

test('a message preview: controls and direction marks made spaces, cut at MESSAGE_PREVIEW_CHARS', () => {
  assert.equal(preview('a\u0007b\u009bc\u2066d\u200fe'), 'a b c d e');
  assert.equal(preview('  \n\t '), '(empty message)');
  const long = preview('😀'.repeat(MESSAGE_PREVIEW_CHARS + 10));
  assert.equal([...long].length, MESSAGE_PREVIEW_CHARS);
  assert.ok(long.endsWith('…'), "long.endsWith('…')");
});

function message(from: string, c: string, text: string): InboxMessage {
  return {
    id: '0190a000-0000-7000-8000-000000000001',
    from: { name: from, fingerprint: c.repeat(64) },
    topic: 'default',
    text,
    sentAt: '2026-11-27T10:00:00.000Z',
    receivedAt: '2026-11-27T10:00:00.000Z',
    expiresAt: '2026-12-04T10:00:00.000Z',
    read: false,
  };
}
