/** The URL fragment: the web UI token, app links (the window's places), and the first join form. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  navigateLink,
  parseFragment,
  viewFragment,
  withoutToken,
} from '../../../src-renderer/lib/fragment.js';
import { APPROVALS_LINKS } from '../../../src-renderer/features/approvals/approvals-links.js';
import { GROUPS_LINKS } from '../../../src-renderer/features/groups/groups-links.js';
import { MESSAGES_LINKS } from '../../../src-renderer/features/messages/messages-links.js';
import { PAIR_LINKS } from '../../../src-renderer/features/pair/pair-links.js';
import { TERMINALS_LINKS } from '../../../src-renderer/features/terminals/terminals-links.js';
import { followLink } from '../../../src-renderer/lib/follow-link.js';
import { FeatureServices, serviceKey } from '../../../src-renderer/lib/feature-services.js';
import {
  intentOf,
  Navigation,
  type IntentOf,
  type LinkedFeature,
} from '../../../src-renderer/lib/navigation.js';
import { placeLink, placeNavigation, type WindowPlace } from '../../../src-main/electron/window-place.js';

/**
 * The window's features as links see them (features/index.ts, whose views a Node test cannot load):
 * their ids and the links each brings from its folder, as main.tsx gives the parser the registered
 * features.
 */
const FEATURES: LinkedFeature[] = [
  { id: 'peers' },
  { id: 'approvals', links: APPROVALS_LINKS },
  { id: 'pair', links: PAIR_LINKS },
  { id: 'terminals', links: TERMINALS_LINKS },
  { id: 'messages', links: MESSAGES_LINKS },
  { id: 'groups', links: GROUPS_LINKS },
  { id: 'files' },
  { id: 'forwards' },
  { id: 'connections' },
  { id: 'activity' },
  { id: 'settings' },
];
const VIEWS = FEATURES.map((f) => f.id);

const INVITE = 'clawbridge://join?invite=K7QX-M2RT-9WZA&relay=ws%3A%2F%2Frelay%3A7474';
const GROUP_LINK = 'clawbridge://group?invite=J8DE-CFH6-1YXC&relay=ws%3A%2F%2Frelay%3A7474';

test('token and the first join form are read; anything malformed is ignored', () => {
  assert.deepEqual(parseFragment('#token=ab12CD', FEATURES), { token: 'ab12CD', link: null });
  assert.deepEqual(parseFragment(`#join=${encodeURIComponent(INVITE)}`, FEATURES), {
    token: null,
    link: { view: 'pair', intent: { pairMode: 'join', joinCode: INVITE } },
  });
  assert.deepEqual(parseFragment('#token=not-hex&join=%20', FEATURES), { token: null, link: null });
  assert.deepEqual(parseFragment('', FEATURES), { token: null, link: null });
  assert.deepEqual(parseFragment('#nowhere?x=1', FEATURES), { token: null, link: null });
  assert.deepEqual(parseFragment('#approvals?request=%07', FEATURES), {
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
  assert.deepEqual(parseFragment(withoutToken(`#join?invite=x&token=ab`), FEATURES), {
    token: null,
    link: { view: 'pair', intent: { pairMode: 'join', joinCode: 'x' } },
  });
});

test('app links open views with what they were opened for, with or without a token', () => {
  const link = (hash: string) => parseFragment(hash, FEATURES).link;
  assert.deepEqual(link('#approvals'), { view: 'approvals', intent: {} });
  assert.deepEqual(parseFragment('#approvals?request=3f2a&token=ab', FEATURES), {
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
    { view: 'groups' },
    { view: 'groups', join: GROUP_LINK },
    { view: 'groups', refused: 'group invitation has no code — it must carry invite=<code>' },
  ];
  for (const place of places) {
    const fromHash = parseFragment(`#${placeLink(place)}`, FEATURES).link;
    assert.ok(fromHash, placeLink(place));
    assert.deepEqual(navigateLink(placeNavigation(place), FEATURES), fromHash, placeLink(place));
  }
  assert.deepEqual(parseFragment(`#${placeLink(places[9]!)}`, FEATURES).link?.intent, {
    openTerminal: { peer: 'c'.repeat(64), name: 'my nas & co' },
  });
  assert.deepEqual(parseFragment(`#${placeLink(places[11]!)}`, FEATURES).link?.intent, {
    messagesPeer: 'd'.repeat(64),
  });
  assert.deepEqual(parseFragment(`#${placeLink(places[13]!)}`, FEATURES).link?.intent, {
    joinCode: GROUP_LINK,
  });
  assert.deepEqual(navigateLink(placeNavigation(places[14]!), FEATURES)?.intent, {
    refusedLink: 'group invitation has no code — it must carry invite=<code>',
  });
  assert.equal(navigateLink({ view: 42 }, FEATURES), null);
  assert.equal(navigateLink('approvals', FEATURES), null);
});

test("following a link: the view opened for its intent, after its feature's own follow, once", () => {
  const nav = new Navigation(null, VIEWS);
  const opened: unknown[] = [];
  // A feature's service, made on first use: what terminals' follow opens its tab with.
  const TABS = serviceKey('test.tabs', () => ({ open: (t: unknown) => opened.push(t) }));
  const services = new FeatureServices({ client: null as never, storage: null, prefs: null });
  const targets = { nav, get: services.get };
  const features = FEATURES.map((f): LinkedFeature =>
    f.id === 'terminals'
      ? {
          ...f,
          follow: (intent, { get }) => {
            const { openTerminal } = intent as IntentOf<'terminals'>;
            if (openTerminal) get(TABS).open(openTerminal);
            return {};
          },
        }
      : f,
  );
  followLink(targets, features, parseFragment('#approvals?request=r1', features).link);
  assert.deepEqual([nav.get().view, nav.get().intent], ['approvals', { request: 'r1' }]);
  followLink(
    targets,
    features,
    parseFragment(`#terminals?open=${'b'.repeat(64)}&name=laptop`, features).link,
  );
  assert.deepEqual([nav.get().view, nav.get().intent], ['terminals', {}]);
  assert.deepEqual(opened, [{ peer: 'b'.repeat(64), name: 'laptop' }]);
  assert.equal(services.get(TABS), services.get(TABS), 'made once');
  followLink(targets, features, null);
  assert.equal(nav.get().view, 'terminals');
  assert.equal(opened.length, 1);
});

test('a link to a view no feature shows is ignored, by the parser and by navigation', () => {
  assert.equal(parseFragment('#toy', FEATURES).link, null);
  assert.deepEqual(parseFragment('#toy', [...FEATURES, { id: 'toy' }]).link, { view: 'toy', intent: {} });
  const nav = new Navigation(null, VIEWS);
  nav.go('toy');
  assert.equal(nav.get().view, 'peers');
  const saved = new Navigation({ getItem: () => 'gone', setItem: () => undefined }, VIEWS);
  assert.equal(saved.get().view, 'peers', 'a saved view no feature shows any more: the first one');
});

test('the fragment the window keeps for its view leads back to that view, and to nothing else', () => {
  for (const view of VIEWS) {
    assert.deepEqual(parseFragment(viewFragment(view), FEATURES), {
      token: null,
      link: { view, intent: {} },
    });
  }
});

test("a feature's own links are taken with the rest, checked as theirs are, with no shared file changed", () => {
  const toy: LinkedFeature = {
    id: 'toy',
    links: [
      {
        // A view this test alone has: no `Intents` entry, so its intent is typed as none.
        view: 'toy' as never,
        route: 'toy/box',
        firstForm: 'thing',
        intent: (param) => ({ thing: param('thing') }) as never,
      },
    ],
  };
  const features = [...FEATURES, toy];
  assert.deepEqual(parseFragment('#toy/box?thing=%20ball%20', features).link, {
    view: 'toy',
    intent: { thing: 'ball' },
  });
  assert.deepEqual(parseFragment('#toy/box=ball&token=ab', features), {
    token: 'ab',
    link: { view: 'toy', intent: { thing: 'ball' } },
  });
  assert.deepEqual(parseFragment('#toy/box?thing=%07', features).link, {
    view: 'toy',
    intent: { thing: null },
  });
  assert.deepEqual(navigateLink({ view: 'toy/box', detail: 'thing=ball' }, features), {
    view: 'toy',
    intent: { thing: 'ball' },
  });
  assert.equal(parseFragment('#toy/box?thing=ball', FEATURES).link, null, 'not registered: ignored');
});

test('what a view is opened for is typed by its feature, and read by that view only', () => {
  const nav = new Navigation(null, VIEWS);
  nav.go('pair', { pairMode: 'new' });
  assert.deepEqual(intentOf(nav.get(), 'pair'), { pairMode: 'new' });
  assert.deepEqual(intentOf(nav.get(), 'messages'), {});
  // @ts-expect-error -- Pair is not opened for a request: that is Approvals' intent
  nav.go('pair', { request: 'r1' });
  // @ts-expect-error -- a view whose feature declares no intent is opened for nothing
  nav.go('peers', { pairMode: 'new' });
  nav.go('peers');
  assert.deepEqual([nav.get().view, nav.get().intent], ['peers', {}]);
});
