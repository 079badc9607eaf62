/**
 * The shares kept where a shared terminal's shell runs (docs/adr/0123-shared-terminals.md): a viewer
 * is a guest for the view stream and for asking who is there alone; only a named viewer joins; write is read at each frame, so a
 * switch applies at once; a revoke, an unshare, the session's end and the expiry end the views; each
 * join, switch and leave is audited with who.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShareRegistry, TERMINAL_VIEW_SERVICE } from '../../../../src-main/terminal/shares/share-registry.js';
import {
  TERMINAL_PRESENT_SERVICE,
  type ShareAuditEvent,
} from '../../../../src-main/terminal/shares/share-wire.js';
import { isClawError } from '../../../../src-main/core/errors.js';
import { fakeClock } from '../../../helpers/fake-clock.js';

const A = { fingerprint: 'a'.repeat(64), name: 'a' };
const C = { fingerprint: 'c'.repeat(64), name: 'c' };
const D = { fingerprint: 'd'.repeat(64), name: 'd' };
const SESSION = 'f'.repeat(32);

function registry() {
  const audit: ShareAuditEvent[] = [];
  const clock = fakeClock(1_000_000);
  const shares = new ShareRegistry((e) => audit.push(e), clock);
  const share = shares.share({ session: SESSION, opener: A, what: 'shell', viewers: [C], write: false });
  return { audit, clock, shares, share };
}

test('a viewer is a guest for the view stream and who is there alone, allowed no word', () => {
  const { shares } = registry();
  assert.deepEqual(
    shares.guests().map((g) => ({ fp: g.fingerprint, allow: g.allow, services: g.services, dial: g.dial })),
    [
      {
        fp: C.fingerprint,
        allow: [],
        services: [TERMINAL_VIEW_SERVICE, TERMINAL_PRESENT_SERVICE],
        dial: false,
      },
    ],
    'C alone, for terminal-view and terminal-present alone',
  );
});

test('only a named viewer joins; a switch applies at once and is audited with who', () => {
  const { shares, share, audit } = registry();
  assert.throws(
    () => shares.join(share.id, D.fingerprint, () => undefined, 'b'),
    (err) => isClawError(err, 'STREAM_REJECTED') && /no shared terminal/.test(err.message),
    'a node the share does not name is refused',
  );
  const ended: string[] = [];
  const joined = shares.join(share.id, C.fingerprint, (r) => ended.push(r), 'b');
  assert.equal(shares.mayWrite(share.id, C.fingerprint), false, 'watching only at first');
  shares.share({ session: SESSION, opener: A, what: 'shell', viewers: [C], write: true });
  assert.equal(shares.mayWrite(share.id, C.fingerprint), true, 'sharing again with --write switches it');
  joined.leave();
  assert.deepEqual(
    audit.map((e) => [e.event, e.viewer.fingerprint, e.sharer.fingerprint, e.write]),
    [
      ['join', C.fingerprint, A.fingerprint, false],
      ['switch', C.fingerprint, A.fingerprint, true],
      ['leave', C.fingerprint, A.fingerprint, true],
    ],
    'join, switch and leave, each with the viewer and the sharer',
  );
  assert.deepEqual(ended, [], 'leaving ends nothing else');
});

test('revoke ends the viewer’s view at once and takes its guest entry away', () => {
  const { shares, share } = registry();
  const ended: string[] = [];
  shares.join(share.id, C.fingerprint, (r) => ended.push(r), 'b');
  let changes = 0;
  shares.onChange(() => changes++);
  assert.equal(shares.revoke(share, C.fingerprint), true, 'C was in it');
  assert.deepEqual(ended, ['a stopped sharing this terminal with you'], 'its view ended, saying why');
  assert.deepEqual(shares.guests(), [], 'C is no guest any more');
  assert.ok(changes > 0, 'the guests changed, so the links and the registry look again');
  assert.equal(shares.mayWrite(share.id, C.fingerprint), false, 'and may type nothing');
  assert.match(
    shares.refusal(C.fingerprint) ?? '',
    /has ended/,
    'its knock is refused as such, no pair request',
  );
  assert.equal(shares.refusal(D.fingerprint), undefined, 'a node never in a share is a stranger as before');
});

test('the session’s end and the expiry end the share and its views', () => {
  const { shares, share, clock } = registry();
  const ended: string[] = [];
  shares.join(share.id, C.fingerprint, (r) => ended.push(r), 'b');
  shares.sessionGone(SESSION);
  assert.deepEqual(ended, ['the shared terminal has ended'], 'the view ends with its terminal');
  assert.equal(shares.ofOpener(share.id, A.fingerprint), undefined, 'the share is gone');

  const again = shares.share({
    session: SESSION,
    opener: A,
    what: 'shell',
    viewers: [C],
    write: false,
    expiresAt: clock.now() + 3_600_000,
  });
  shares.join(again.id, C.fingerprint, (r) => ended.push(r), 'b');
  clock.advance(3_599_000);
  assert.ok(shares.ofOpener(again.id, A.fingerprint), 'kept until its expiry');
  clock.advance(1_000);
  assert.equal(shares.ofOpener(again.id, A.fingerprint), undefined, 'gone at its expiry');
  assert.equal(ended.at(-1), 'the share of this terminal expired', 'and its view was told');
});

test('only the opener finds its share', () => {
  const { shares, share } = registry();
  assert.equal(shares.ofOpener(share.id, C.fingerprint), undefined, 'a viewer cannot manage the share');
  assert.equal(shares.ofOpener(share.id, A.fingerprint), share, 'its opener can');
});

test('sharing again with a full share of the same viewers is a switch, not more viewers', () => {
  const shares = new ShareRegistry(() => undefined, fakeClock(1_000_000));
  // A group of 32 devices shared again (the group's new devices are added so): those in it count once.
  const many = Array.from({ length: 32 }, (_, i) => ({
    fingerprint: i.toString(16).padStart(64, '0'),
    name: `v${i}`,
  }));
  const first = shares.share({ session: SESSION, opener: A, what: 'shell', viewers: many, write: false });
  const again = shares.share({ session: SESSION, opener: A, what: 'shell', viewers: many, write: true });
  assert.equal(again.id, first.id, 'the same share');
  assert.equal(again.viewers.size, 32, 'still 32 viewers');
  assert.equal(shares.mayWrite(first.id, many[31]!.fingerprint), true, 'each is switched to typing');
  assert.throws(
    () => shares.share({ session: SESSION, opener: A, what: 'shell', viewers: [C], write: false }),
    (err) => isClawError(err, 'BAD_ARGUMENT') && /at most 32 viewers/.test(err.message),
    'a 33rd viewer is still refused',
  );
});
