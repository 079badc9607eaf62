/**
 * The viewer asking who else is in a share it was offered (`terminal.present`,
 * docs/adr/0123-shared-terminals.md): it asks the node where the shell runs over its link there
 * (`terminal-present`), and answers what that node said, checked (anything more is dropped); a
 * refusal comes back naming that node, an older node without the service says it needs an update,
 * and a share not offered here is refused before anything is dialed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { ShareOffers } from '../../../../src-main/terminal/shares/share-offers.js';
import { ClawError, isClawError } from '../../../../src-main/core/errors.js';

const A = { fingerprint: 'a'.repeat(64), name: 'alice' };
const B = { fingerprint: 'b'.repeat(64), name: 'b' };
const SHARE = '0123456789abcdef';

/** C's offers of A's share on B; B answers each `terminal-present` with `answer` (or refuses). */
function viewer(answer: object | ClawError) {
  const asked: { to: string; service: string; args: unknown }[] = [];
  let handle: ((req: unknown, admission: unknown) => void) | undefined;
  const offers = new ShareOffers({
    peerEntry: ((fp: string) => (fp === B.fingerprint ? { record: B } : undefined)) as never,
    openStream: ((entry: { record: { fingerprint: string } }, service: string, args: unknown) => {
      asked.push({ to: entry.record.fingerprint, service, args });
      if (answer instanceof ClawError) return Promise.reject(answer);
      const d = new Duplex({ read() {}, write: (_c, _e, done) => done() });
      setImmediate(() => d.push(`${JSON.stringify(answer)}\n`));
      return Promise.resolve({ stream: d });
    }) as never,
  });
  offers.serve({
    admitGuests: (() => undefined) as never,
    register: ((_name: string, def: { handle: typeof handle }) => {
      handle = def.handle;
    }) as never,
  });
  handle!(
    { args: { op: 'offer', share: SHARE, host: B, what: 'terminal', write: false }, peer: A },
    { hold: () => new Duplex({ read() {}, write: (_c, _e, done) => done() }) },
  );
  return { offers, asked };
}

test('C asks the node where the shell runs, and answers what it said, checked', async () => {
  const viewers = [
    { name: 'carol', device: 'carol', write: false, watching: true, you: true },
    // A fingerprint a host puts in is not passed on.
    { name: 'dan', device: 'dans-laptop', write: true, watching: false, fingerprint: 'd'.repeat(64) },
  ];
  const { offers, asked } = viewer({ ok: true, sharerName: 'alice', viewers });
  const r = await offers.present(SHARE);
  assert.deepEqual(
    asked,
    [{ to: B.fingerprint, service: 'terminal-present', args: { share: SHARE } }],
    'asked B, over its link, of this share',
  );
  assert.deepEqual(
    r,
    {
      share: SHARE,
      hostName: 'b',
      sharerName: 'alice',
      viewers: [
        { name: 'carol', device: 'carol', write: false, watching: true, you: true },
        { name: 'dan', device: 'dans-laptop', write: true, watching: false },
      ],
    },
    'who is there, and nothing more',
  );
});

test("B's refusal names B; an older B says it needs an update; an unknown share dials nothing", async () => {
  await assert.rejects(
    viewer({ ok: false, message: 'b has no shared terminal for this node' }).offers.present(SHARE),
    (err) =>
      isClawError(err, 'STREAM_REJECTED') && err.message === 'b: b has no shared terminal for this node',
    'the refusal line, naming where it came from',
  );
  await assert.rejects(
    viewer(
      new ClawError('STREAM_REJECTED', "unknown service 'terminal-present'", { refusal: 'UNKNOWN_SERVICE' }),
    ).offers.present(SHARE),
    (err) => isClawError(err, 'STREAM_REJECTED') && /b runs a release that does not tell/.test(err.message),
    'an older B: what to do',
  );
  await assert.rejects(
    viewer({ ok: true, sharerName: 'alice', viewers: 'everyone' }).offers.present(SHARE),
    (err) => isClawError(err, 'PROTOCOL'),
    'an answer that is not one is refused',
  );
  const v = viewer({ ok: true, sharerName: 'alice', viewers: [] });
  await assert.rejects(
    v.offers.present('fedcba9876543210'),
    (err) => isClawError(err, 'BAD_ARGUMENT') && /no terminal shared with this node/.test(err.message),
    'a share not offered here',
  );
  assert.deepEqual(v.asked, [], 'nothing was dialed for it');
});
