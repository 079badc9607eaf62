/**
 * A new forwarded connection whose OPEN went on a link that died under it is opened again on the
 * peer's next link (dialer.ts openAcrossLinkLoss); anything else fails at once, as before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClawError } from '../../../src-main/core/errors.js';
import { openAcrossLinkLoss } from '../../../src-main/forwards/resumable-open.js';

const linkLost = () => new ClawError('LINK_CLOSED', 'no reply from peer for 2 s while data was outstanding');

test('an OPEN lost with its link is tried again until one succeeds', async () => {
  let tries = 0;
  const got = await openAcrossLinkLoss(() => {
    tries++;
    return tries < 3 ? Promise.reject(linkLost()) : Promise.resolve('stream');
  });
  assert.equal(got, 'stream');
  assert.equal(tries, 3);
});

test('a refusal, a missing peer or a link that stays lost past the limit fail without more tries', async () => {
  for (const error of [
    new ClawError('LINK_CLOSED', 'the peer refused the circuit', { refusal: 'PERMISSION_DENIED' }),
    new ClawError('PEER_OFFLINE', 'b is offline'),
    new ClawError('STREAM_REJECTED', 'permission denied', { refusal: 'PERMISSION_DENIED' }),
  ]) {
    let tries = 0;
    await assert.rejects(
      openAcrossLinkLoss(() => {
        tries++;
        return Promise.reject(error);
      }),
      (err) => err === error,
    );
    assert.equal(tries, 1, error.message);
  }
  let tries = 0;
  await assert.rejects(
    openAcrossLinkLoss(() => {
      tries++;
      return Promise.reject(linkLost());
    }, 600),
    /no reply from peer/,
  );
  // Retried, then gave up: at most as many tries as pauses fit in 600 ms (timers never fire early).
  // When it gave up is a loaded machine's timers; that it stopped is what the count says.
  assert.ok(tries >= 2 && tries <= 4, `${tries} tries within 600 ms`);
});
