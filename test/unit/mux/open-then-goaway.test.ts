/**
 * A stream this side opened, whose ACCEPT arrives in the same read as the peer's GOAWAY (the peer
 * accepted, then closed the link as a duplicate): the caller gets the stream only in a promise reaction,
 * after the stream's 'error' was emitted, so that error must not be an unheard one that ends the process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Mux } from '../../../src-main/mux/mux.js';
import { createLinkPair } from '../../helpers/link-pair.js';

test('ACCEPT and GOAWAY in one read: the opener gets a stream that failed with the reason', async () => {
  const { a, b } = createLinkPair();
  const opener = new Mux(a, {});
  const accepter = new Mux(b, {
    onStream: (req) => {
      req.accept().on('error', () => undefined);
      accepter.close('duplicate link');
    },
  });
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => uncaught.push(err);
  process.on('uncaughtException', onUncaught);
  try {
    const stream = await opener.open('control', {});
    if (!stream.destroyed) await once(stream, 'close');
    assert.match(String(stream.errored), /duplicate link/);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(uncaught, []);
  } finally {
    process.off('uncaughtException', onUncaught);
  }
});
