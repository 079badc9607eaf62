/** The URL fragment: the web UI token, app links (the window's places), and the first join form. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  navigateLink,
  parseFragment,
  viewFragment,
  withoutToken,
} from '../../../src-renderer/lib/fragment.js';
import { followLink } from '../../../src-renderer/lib/follow-link.js';
import { Navigation } from '../../../src-renderer/lib/navigation.js';
import { placeLink, placeNavigation, type WindowPlace } from '../../../src-main/electron/window-place.js';

/**
 * The window's views (features/index.ts, whose views a Node test cannot load): the parser takes the
 * list it is given, as main.tsx gives it the registered features' ids.
 */
const VIEWS = [
  'peers',
  'approvals',
  'pair',
  'terminals',
  'messages',
  'files',
  'forwards',
  'connections',
  'activity',
  'settings',
];

const INVITE = 'clawbridge://join?invite=K7QX-M2RT-9WZA&relay=ws%3A%2F%2Frelay%3A7474';

test('token and the first join form are read; anything malformed is ignored', () => {
  assert.deepEqual(parseFragment('#token=ab12CD', VIEWS), { token: 'ab12CD', link: null });
  assert.deepEqual(parseFragment(`#join=${encodeURIComponent(INVITE)}`, VIEWS), {
    token: null,
    link: { view: 'pair', intent: { pairMode: 'join', joinCode: INVITE } },
  });
  assert.deepEqual(parseFragment('#token=not-hex&join=%20', VIEWS), { token: null, link: null });
  assert.deepEqual(parseFragment('', VIEWS), { token: null, link: null });
  assert.deepEqual(parseFragment('#nowhere?x=1', VIEWS), { token: null, link: null });
  assert.deepEqual(parseFragment('#approvals?request=%07', VIEWS), {
    token: null,
    link: { view: 'approvals', intent: {} },
  });
});

test('taking the token leaves the link that rode along in the fragment, for the page to follow', () => {
  assert.equal(withoutToken('#token=ab12'), '');
  assert.equal(withoutToken(''), '');
  assert.equal(withoutToken('#approvals?request=3f2a&token=ab'), '#approvals?request=3f2a');
  assert.equal(withoutToken('#pair/new?token=ab'), '#pair/new');
  assert.equal(
    withoutToken(`#token=ab&join=${encodeURIComponent(INVITE)}`),
    `#join=${encodeURIComponent(INVITE)}`,
  );
  assert.deepEqual(parseFragment(withoutToken(`#join?invite=x&token=ab`), VIEWS), {
    token: null,
    link: { view: 'pair', intent: { pairMode: 'join', joinCode: 'x' } },
  });
});

test('app links open views with what they were opened for, with or without a token', () => {
  const link = (hash: string) => parseFragment(hash, VIEWS).link;
  assert.deepEqual(link('#approvals'), { view: 'approvals', intent: {} });
  assert.deepEqual(parseFragment('#approvals?request=3f2a&token=ab', VIEWS), {
    token: 'ab',
    link: { view: 'approvals', intent: { request: '3f2a' } },
  });
  assert.deepEqual(link('#pair/new'), { view: 'pair', intent: { pairMode: 'new' } });
  assert.deepEqual(link('#pair/join'), { view: 'pair', intent: { pairMode: 'join' } });
  assert.deepEqual(link(`#join?invite=${encodeURIComponent(INVITE)}`), {
    view: 'pair',
    intent: { pairMode: 'join', joinCode: INVITE },
  });
  assert.deepEqual(link(`#terminals?open=${'b'.repeat(64)}&name=laptop`), {
    view: 'terminals',
    intent: { openTerminal: { peer: 'b'.repeat(64), name: 'laptop' } },
  });
  assert.deepEqual(link(`#messages?peer=${'d'.repeat(64)}`), {
    view: 'messages',
    intent: { messagesPeer: 'd'.repeat(64) },
  });
  for (const view of ['peers', 'forwards', 'settings', 'terminals', 'pair', 'messages'])
    assert.deepEqual(link(`#${view}`), { view, intent: {} });
});

test("every place main opens reads back in the renderer, as a new page's fragment and as an app.navigate event", () => {
  const places: WindowPlace[] = [
    { view: 'peers' },
    { view: 'forwards' },
    { view: 'settings' },
    { view: 'terminals' },
    { view: 'approvals' },
    { view: 'approvals', request: 'req&7=?' },
    { view: 'pair', mode: 'new' },
    { view: 'pair', mode: 'join' },
    { view: 'pair', mode: 'join', invite: INVITE },
    { view: 'terminal', peer: 'c'.repeat(64), name: 'my nas & co' },
    { view: 'messages' },
    { view: 'messages', peer: 'd'.repeat(64) },
  ];
  for (const place of places) {
    const fromHash = parseFragment(`#${placeLink(place)}`, VIEWS).link;
    assert.ok(fromHash, placeLink(place));
    assert.deepEqual(navigateLink(placeNavigation(place), VIEWS), fromHash, placeLink(place));
  }
  assert.deepEqual(parseFragment(`#${placeLink(places[9]!)}`, VIEWS).link?.intent, {
    openTerminal: { peer: 'c'.repeat(64), name: 'my nas & co' },
  });
  assert.deepEqual(parseFragment(`#${placeLink(places[11]!)}`, VIEWS).link?.intent, {
    messagesPeer: 'd'.repeat(64),
  });
  assert.equal(navigateLink({ view: 42 }, VIEWS), null);
  assert.equal(navigateLink('approvals', VIEWS), null);
});

test('following a link: the view and intent, or a new terminal tab to the peer', () => {
  const nav = new Navigation(null, VIEWS);
  const opened: unknown[] = [];
  const terminals = { open: (t: unknown) => opened.push(t) } as never;
  followLink({ nav, terminals }, parseFragment('#approvals?request=r1', VIEWS).link);
  assert.deepEqual([nav.get().view, nav.get().intent], ['approvals', { request: 'r1' }]);
  followLink({ nav, terminals }, parseFragment(`#terminals?open=${'b'.repeat(64)}&name=laptop`, VIEWS).link);
  assert.equal(nav.get().view, 'terminals');
  assert.deepEqual(opened, [{ peer: 'b'.repeat(64), peerName: 'laptop' }]);
  followLink({ nav, terminals }, null);
  assert.equal(nav.get().view, 'terminals');
});

test('a link to a view no feature shows is ignored, by the parser and by navigation', () => {
  assert.equal(parseFragment('#toy', VIEWS).link, null);
  assert.deepEqual(parseFragment('#toy', [...VIEWS, 'toy']).link, { view: 'toy', intent: {} });
  const nav = new Navigation(null, VIEWS);
  nav.go('toy');
  assert.equal(nav.get().view, 'peers');
  const saved = new Navigation({ getItem: () => 'gone', setItem: () => undefined }, VIEWS);
  assert.equal(saved.get().view, 'peers', 'a saved view no feature shows any more: the first one');
});

test('the fragment the window keeps for its view leads back to that view, and to nothing else', () => {
  for (const view of VIEWS) {
    assert.deepEqual(parseFragment(viewFragment(view), VIEWS), { token: null, link: { view, intent: {} } });
  }
});
