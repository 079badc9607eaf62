/**
 * A client only sees its forwarded connection close: the user hears why (front-end.ts). A link loss
 * cuts every open connection of a forward at once, so it is said once, not once per connection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { ClawError } from '../../../src-main/core/errors.js';
import {
  CUT_NOTICE_EVERY_MS,
  cutNoticeGiven,
  reportCutConnections,
  trackedCutNotices,
  type FrontEndContext,
} from '../../../src-main/forwards/front-end.js';

function context(
  name: string,
  noun: 'forward' | 'proxy',
  notices: string[],
  recorded: string[] = [],
): FrontEndContext {
  // As the forward manager words the notice; every problem is recorded, said or not.
  const problem = (message: string, _fields: object, quiet?: boolean) => {
    recorded.push(message);
    if (!quiet) notices.push(`${noun} ${name}: ${message}`);
  };
  return { name, noun, problem, opened: () => undefined } as unknown as FrontEndContext;
}

function cut(ctx: FrontEndContext, err: Error, peer = 'b'): void {
  const remote = new PassThrough();
  reportCutConnections(remote, ctx, peer, {});
  remote.destroy(err);
}

test('connections cut by a lost link are reported once per forward; other ends are not', async () => {
  const notices: string[] = [];
  const recorded: string[] = [];
  const web = context('cut-web', 'forward', notices, recorded);
  // The error as the mux gives it when the link's heartbeat times out.
  const lost = () =>
    new ClawError('LINK_CLOSED', 'heartbeat timeout: no reply from peer for 15 s; the path is down');
  for (let i = 0; i < 5; i++) cut(web, lost());
  const socks = context('cut-socks', 'proxy', notices);
  cut(socks, lost());
  cut(socks, lost(), 'c');
  cut(web, new Error('ECONNRESET'));
  cut(
    context('cut-db', 'forward', notices),
    new ClawError('STREAM_RESET', 'reset', {
      refusal: 'PERMISSION_DENIED',
      peerReason: 'b no longer allows forwards from a',
    }),
  );
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(notices, [
    'forward cut-web: open connections through b were cut: heartbeat timeout: no reply from peer for 15 s; the path is down',
    'proxy cut-socks: open connections through b were cut: heartbeat timeout: no reply from peer for 15 s; the path is down',
    'proxy cut-socks: open connections through c were cut: heartbeat timeout: no reply from peer for 15 s; the path is down',
    'forward cut-db: b no longer allows forwards from a',
  ]);
  // Each cut is still the forward's last problem (a connection in between may have cleared it).
  assert.equal(recorded.length, 5);
});

test('a cut notice is said again after its window, and keys of forwards long gone are pruned', () => {
  // After the window of anything an earlier test cut.
  const t0 = Date.now() + CUT_NOTICE_EVERY_MS;
  assert.equal(cutNoticeGiven('old-forward\nb', t0), false, 'the first cut is said');
  assert.equal(
    cutNoticeGiven('old-forward\nb', t0 + CUT_NOTICE_EVERY_MS - 1),
    true,
    'quiet within the window',
  );
  for (let i = 0; i < 50; i++) cutNoticeGiven(`removed-${i}\nb`, t0 + i);
  const later = t0 + 10 * CUT_NOTICE_EVERY_MS;
  assert.equal(cutNoticeGiven('old-forward\nb', later), false, 'said again once the window passed');
  assert.equal(trackedCutNotices(), 1, 'only the key cut within the window is kept');
});
