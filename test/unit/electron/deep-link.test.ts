/**
 * clawbridge:// links: strict parsing (a property over any text) of pairing invites and group
 * invitations, the argv search, the window place, and where a refused link sends the window.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  deepLinkInArgv,
  deepLinkPlace,
  parseDeepLink,
  refusedLinkPlace,
} from '../../../src-main/electron/deep-link.js';
import { placeLink } from '../../../src-main/electron/window-place.js';
import { groupLink } from '../../../src-main/group-members/invitation-link.js';
import { isClawError } from '../../../src-main/core/errors.js';
import {
  encodeInvite,
  generatePairCode,
  parsePairCode,
  type Invite,
} from '../../../src-main/protocol/pair-code.js';

const RUNS = 300;
const onlyClearErrors = (run: () => unknown) => {
  try {
    run();
  } catch (err) {
    assert.ok(
      (isClawError(err, 'BAD_INVITE') || isClawError(err, 'BAD_PAIR_CODE')) && err.message.length < 300,
      `unexpected ${String(err)}`,
    );
    assert.ok(!/[\r\n]/.test(err.message), 'one line');
  }
};

describe('parseDeepLink', () => {
  it('a join link gives its invite in canonical form; the first invite form too', () => {
    const fp = 'ab'.repeat(32);
    const link = `clawbridge://join?invite=k7qx-m2rt-9wza&relay=wss%3A%2F%2Frelay.example&fp=${fp.toUpperCase()}`;
    assert.deepEqual(parseDeepLink(link), {
      kind: 'join',
      invite: `clawbridge://join?invite=K7QX-M2RT-9WZA&relay=wss%3A%2F%2Frelay.example&fp=${fp}`,
    });
    assert.deepEqual(parseDeepLink('CLAWBRIDGE://pair/K7QX-M2RT-9WZA'), {
      kind: 'join',
      invite: 'clawbridge://join?invite=K7QX-M2RT-9WZA',
    });
    assert.deepEqual(deepLinkPlace(parseDeepLink(link)), {
      view: 'pair',
      mode: 'join',
      invite: parseDeepLink(link).invite,
    });
  });

  it('refuses other links and malformed invites with one clear line', () => {
    const cases: [string, RegExp][] = [
      ['https://example.com/join?invite=K7QX-M2RT-9WZA', /not a clawbridge:\/\/ link/],
      ['clawbridge://settings', /clawbridge:\/\/settings is not a link this app opens/],
      ['clawbridge://join?invite=K7QX', /must be 12 characters/],
      ['clawbridge://join?relay=wss%3A%2F%2Fh', /has no code/],
      ['clawbridge://join?invite=K7QX-M2RT-9WZA&open=/etc/passwd', /unknown parameter 'open'/],
      [`clawbridge://join?invite=K7QX-M2RT-9WZA&token=${'a'.repeat(3000)}`, /limit is 2048/],
    ];
    for (const [text, pattern] of cases) {
      assert.throws(
        () => parseDeepLink(text),
        (e: unknown) =>
          (isClawError(e, 'BAD_INVITE') || isClawError(e, 'BAD_PAIR_CODE')) && pattern.test(e.message),
        text,
      );
    }
  });

  it('a group invitation (what `group invite` prints) opens Groups with Join group filled in', () => {
    const fp = 'cd'.repeat(32);
    const printed = groupLink(
      encodeInvite({
        code: parsePairCode('K7QX-M2RT-9WZA'),
        relayUrl: 'wss://relay.example:8443',
        relayFingerprint: fp,
      }),
    );
    assert.match(printed, /^clawbridge:\/\/group\?invite=K7QX-M2RT-9WZA&/);
    const link = parseDeepLink(printed);
    assert.deepEqual(link, { kind: 'group', invite: printed });
    // Typed by hand: lower case, the scheme in capitals; canonical again, still a group invitation.
    assert.deepEqual(
      parseDeepLink(printed.replace('K7QX-M2RT-9WZA', 'k7qx-m2rt-9wza').replace(/^clawbridge/, 'CLAWBRIDGE')),
      {
        kind: 'group',
        invite: printed,
      },
    );
    assert.deepEqual(deepLinkPlace(link), { view: 'groups', join: printed });
    assert.equal(placeLink(deepLinkPlace(link)), `groups?join=${encodeURIComponent(printed)}`);
  });

  it('refuses a malformed group invitation with one clear line, and says so in Groups', () => {
    const cases: [string, RegExp][] = [
      ['clawbridge://group?invite=K7QX', /must be 12 characters/],
      ['clawbridge://group?relay=wss%3A%2F%2Fh', /^group invitation has no code/],
      [
        'clawbridge://group?invite=K7QX-M2RT-9WZA&open=/etc/passwd',
        /^group invitation has an unknown parameter 'open'/,
      ],
      ['clawbridge://group/K7QX-M2RT-9WZA', /a group invitation link is clawbridge:\/\/group\?invite=/],
      ['clawbridge://group', /a group invitation link is clawbridge:\/\/group\?invite=/],
    ];
    for (const [text, pattern] of cases) {
      let refused: unknown;
      assert.throws(
        () => parseDeepLink(text),
        (e: unknown) => {
          refused = e;
          return isClawError(e, 'BAD_INVITE') && pattern.test(e.message) && !/[\r\n]/.test(e.message);
        },
        text,
      );
      assert.deepEqual(
        refusedLinkPlace(refused),
        { view: 'groups', refused: (refused as Error).message },
        text,
      );
    }
    // Any other refused link: Pair → Join, as before.
    let other: unknown;
    try {
      parseDeepLink('clawbridge://settings');
    } catch (e) {
      other = e;
    }
    assert.deepEqual(refusedLinkPlace(other), { view: 'pair', mode: 'join' });
  });

  it('any text: a join link or a clear ClawError, nothing else', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ maxLength: 200 }).map((s) => `clawbridge://${s}`),
      fc.string({ maxLength: 200 }).map((s) => `clawbridge://join?${s}`),
      fc.string({ maxLength: 200 }).map((s) => `clawbridge://group?${s}`),
      fc.string({ maxLength: 200, unit: 'grapheme' }).map((s) => `clawbridge://group?invite=${s}`),
      fc.string({ maxLength: 200, unit: 'grapheme' }).map((s) => `clawbridge://join?invite=${s}`),
    );
    fc.assert(
      fc.property(text, (s) => onlyClearErrors(() => parseDeepLink(s))),
      { numRuns: RUNS },
    );
  });

  it('every valid invite link round-trips', () => {
    const invite: fc.Arbitrary<Invite> = fc
      .record({
        relay: fc.option(
          fc.constantFrom('wss://relay.example:8443', 'ws://10.0.0.2:7000', 'wss://r.example/x?y=1'),
        ),
        token: fc.option(
          fc.string({ minLength: 1, maxLength: 40 }).filter((t) => !/[\p{Cc}\p{Cs}]/u.test(t)),
        ),
      })
      .map(({ relay, token }) => ({
        code: generatePairCode(),
        ...(relay ? { relayUrl: relay } : {}),
        ...(relay && token ? { relayToken: token } : {}),
      }));
    fc.assert(
      fc.property(invite, (i) => {
        const link = encodeInvite(i);
        assert.deepEqual(parseDeepLink(link), { kind: 'join', invite: link });
      }),
      { numRuns: RUNS },
    );
  });
});

describe('deepLinkInArgv', () => {
  it('finds the link Windows and Linux pass as an argument, else null', () => {
    assert.equal(
      deepLinkInArgv(['C:\\Clawbridge\\Clawbridge.exe', '--allow-file-access', 'clawbridge://join?invite=X']),
      'clawbridge://join?invite=X',
    );
    assert.equal(deepLinkInArgv(['/usr/bin/clawbridge', '--hidden']), null);
    assert.equal(deepLinkInArgv([]), null);
  });
});
