/**
 * The viewer's offers (docs/adr/0123-shared-terminals.md): the node where a shared terminal runs is
 * dialed only while an offer of it is kept, and the offer goes — so the dialing stops — when the
 * host says the share is over, when the expiry the offer carries passes, or when the host refuses
 * the view; a view ended because the viewer fell behind keeps it (the viewer joins again). A view
 * open when the offer goes keeps its host let in until it ends (at most VIEW_LINGER_MS), and a view
 * that ends without the host's last frame still tells its viewer why.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { WATCH_EXIT_DRAIN_MS } from '../../../../src-main/terminal/sessions/session-watchers.js';
import {
  framesFromHost,
  ShareOffers,
  VIEW_LINGER_MS,
} from '../../../../src-main/terminal/shares/share-offers.js';
import { shareOver } from '../../../../src-main/terminal/shares/share-wire.js';
import { ClawError } from '../../../../src-main/core/errors.js';
import {
  encodeTerminalFrame,
  TerminalFrameDecoder,
  type TerminalFrame,
} from '../../../../src-main/protocol/terminal-frames.js';
import type { ViewerChannel } from '../../../../src-main/api/viewer-channel.js';
import { fakeClock } from '../../../helpers/fake-clock.js';
import { until } from '../../../helpers/wait.js';

const A = { fingerprint: 'a'.repeat(64), name: 'a' };
const B = { fingerprint: 'b'.repeat(64), name: 'b' };
const SHARE = '0123456789abcdef';

/** C's offers, with A's `terminal-offer` handler and B's view streams under the test's hand. */
function viewer(opts: { refuse?: boolean } = {}) {
  const clock = fakeClock(1_000_000);
  let handle: ((req: unknown, admission: unknown) => void) | undefined;
  /** Each view stream C opened (what the test pushes is what the host sent). */
  const views: Duplex[] = [];
  const offers = new ShareOffers(
    {
      peerEntry: ((fp: string) => (fp === B.fingerprint ? { record: B } : undefined)) as never,
      openStream: (() => {
        if (opts.refuse)
          return Promise.reject(
            new ClawError('STREAM_REJECTED', 'b has no shared terminal for this node (it ended)'),
          );
        const here = new Duplex({ read() {}, write: (_c, _e, done) => done() });
        views.push(here);
        return Promise.resolve({ stream: here });
      }) as never,
    },
    clock,
  );
  offers.serve({
    admitGuests: (() => undefined) as never,
    register: ((_name: string, def: { handle: typeof handle }) => {
      handle = def.handle;
    }) as never,
  });
  const offer = (args: object) =>
    handle!(
      { args: { op: 'offer', share: SHARE, host: B, what: 'terminal', write: false, ...args }, peer: A },
      { hold: () => new Duplex({ read() {}, write: (_c, _e, done) => done() }) },
    );
  const withdraw = () =>
    handle!(
      { args: { op: 'withdraw', share: SHARE }, peer: A },
      { hold: () => new Duplex({ read() {}, write: (_c, _e, done) => done() }) },
    );
  const dialed = () => offers.guests().filter((g) => g.dial && g.fingerprint === B.fingerprint).length;
  return { clock, offers, offer, withdraw, views, dialed };
}

function channel(): ViewerChannel & { closed: () => boolean } {
  let closed = false;
  return {
    write: () => true,
    onData: () => () => undefined,
    onDrain: () => () => undefined,
    onClose: () => () => undefined,
    pause: () => undefined,
    resume: () => undefined,
    close: () => void (closed = true),
    viewerAcks: false,
    closed: () => closed,
  };
}

/** C joins, then the host ends the view with `last`: whether C still keeps the offer. */
async function joinAndEnd(last: TerminalFrame): Promise<{ kept: number; dialed: number }> {
  const v = viewer();
  v.offer({});
  assert.equal(v.dialed(), 1, 'the host is dialed while the offer is kept');
  const joined = await v.offers.join({ share: SHARE });
  const ch = channel();
  joined.attach(ch);
  v.views[0]!.push(encodeTerminalFrame(last));
  v.views[0]!.push(null);
  await until('the view to end', () => ch.closed());
  return { kept: v.offers.list().length, dialed: v.dialed() };
}

test('the host saying the share is over drops the offer: its host is dialed no more', async () => {
  for (const message of [shareOver.unshared('a'), shareOver.revoked('a'), shareOver.expired])
    assert.deepEqual(
      await joinAndEnd({ type: 'error', message }),
      { kept: 0, dialed: 0 },
      `"${message}" ends the offer`,
    );
  assert.deepEqual(
    await joinAndEnd({ type: 'exit', status: { code: 0 } }),
    { kept: 0, dialed: 0 },
    'the shared terminal exiting ends the offer',
  );
});

test('a view ended because the viewer fell behind keeps the offer, to join again', async () => {
  assert.deepEqual(
    await joinAndEnd({ type: 'error', message: 'fell behind; join again to see the screen as it is' }),
    { kept: 1, dialed: 1 },
    'the offer and the dialing stay',
  );
});

test("the offer's expiry drops it; an offer past it is not kept at all", () => {
  const v = viewer();
  v.offer({ expiresAt: v.clock.now() + 60_000 });
  assert.equal(v.dialed(), 1, 'dialed before the expiry');
  v.clock.advance(59_000);
  assert.equal(v.offers.list().length, 1, 'kept until the expiry');
  v.clock.advance(1_000);
  assert.deepEqual([v.offers.list().length, v.dialed()], [0, 0], 'gone at the expiry, and not dialed');
  v.offer({ expiresAt: v.clock.now() - 1 });
  assert.deepEqual([v.offers.list().length, v.dialed()], [0, 0], 'an expired offer is not kept');
});

test('the host refusing the view drops the offer', async () => {
  const v = viewer({ refuse: true });
  v.offer({});
  await assert.rejects(
    v.offers.join({ share: SHARE }),
    /no shared terminal/,
    'the refusal reaches the viewer',
  );
  assert.deepEqual([v.offers.list().length, v.dialed()], [0, 0], 'the offer went with it');
});

/** A viewer's channel that keeps the frames it was given. */
function recordingChannel() {
  const decoder = new TerminalFrameDecoder();
  const frames: TerminalFrame[] = [];
  let closed = false;
  const ch: ViewerChannel = {
    ...channel(),
    write: (bytes) => {
      frames.push(...decoder.push(bytes));
      return true;
    },
    close: () => void (closed = true),
  };
  return { ch, frames, closed: () => closed };
}

test("the sharer's withdrawal overtaking the host's end keeps the host let in until the view ends, so its words arrive", async () => {
  const v = viewer();
  v.offer({});
  const view = recordingChannel();
  (await v.offers.join({ share: SHARE })).attach(view.ch);
  v.withdraw();
  assert.equal(v.offers.list().length, 0, 'the offer is gone at once');
  assert.equal(v.dialed(), 1, 'the host is still let in while its view is open');
  v.views[0]!.push(encodeTerminalFrame({ type: 'error', message: shareOver.revoked('a') }));
  v.views[0]!.push(null);
  await until('the view to end', () => view.closed());
  assert.deepEqual(view.frames, [{ type: 'error', message: shareOver.revoked('a') }], "the host's words");
  await until('the host to be let go', () => v.dialed() === 0);
});

test('withdrawn and the host silent: the view ends after VIEW_LINGER_MS saying the sharer stopped', async () => {
  const v = viewer();
  v.offer({});
  const view = recordingChannel();
  (await v.offers.join({ share: SHARE })).attach(view.ch);
  v.withdraw();
  v.clock.advance(VIEW_LINGER_MS - 1);
  assert.equal(view.closed(), false, 'open until the wait runs out');
  v.clock.advance(1);
  await until('the view to end', () => view.closed());
  assert.deepEqual(view.frames, [{ type: 'error', message: shareOver.revoked('a') }]);
  await until('the host to be let go', () => v.dialed() === 0);
});

test("withdrawn at the terminal's end: a view still behind gets the host's whole drain for its last output", async () => {
  const v = viewer();
  v.offer({});
  const view = recordingChannel();
  (await v.offers.join({ share: SHARE })).attach(view.ch);
  v.withdraw();
  // The host gives a watcher still behind this long after the program exited (session-watchers.ts).
  v.clock.advance(WATCH_EXIT_DRAIN_MS);
  assert.equal(view.closed(), false, 'the view is kept while the host may still be draining it');
  v.views[0]!.push(encodeTerminalFrame({ type: 'data', data: Buffer.from('last line\r\n') }));
  v.views[0]!.push(encodeTerminalFrame({ type: 'exit', status: { code: 0 } }));
  v.views[0]!.push(null);
  await until('the view to end', () => view.closed());
  assert.equal(view.frames.at(-1)?.type, 'exit', 'the last output and EXIT reached the viewer');
});

test("a view cut without the host's last frame tells the viewer why; the offer stays, to join again", async () => {
  const v = viewer();
  v.offer({});
  const view = recordingChannel();
  (await v.offers.join({ share: SHARE })).attach(view.ch);
  v.views[0]!.destroy(new Error('link to b closed: it went quiet'));
  await until('the view to end', () => view.closed());
  assert.deepEqual(view.frames, [
    { type: 'error', message: 'the connection to b was lost: link to b closed: it went quiet' },
  ]);
  assert.deepEqual([v.offers.list().length, v.dialed()], [1, 1], 'still offered, still dialed');
});

test('a watched node’s frames pass, split anywhere; bytes that are no frames end the view', () => {
  const bytes = Buffer.concat([
    encodeTerminalFrame({ type: 'data', data: Buffer.from('hello') }),
    encodeTerminalFrame({ type: 'exit', status: { code: 0 } }),
  ]);
  const decoder = new TerminalFrameDecoder();
  const frames = [bytes.subarray(0, 3), bytes.subarray(3)].flatMap((c) => framesFromHost(decoder, c) ?? []);
  assert.deepEqual(
    frames.map((f) => f.type),
    ['data', 'exit'],
  );
  assert.equal(framesFromHost(new TerminalFrameDecoder(), Buffer.alloc(64, 0xff)), undefined);
});
