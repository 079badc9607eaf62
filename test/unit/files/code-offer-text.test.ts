/**
 * What `file send --code` says and takes (ADR 0124): the relay page's link is made from the invite's
 * relay with the code in its fragment (never sent to the relay), `--ttl` takes whole seconds within the
 * API's bounds, and the first lines name the code, what is offered and the command to run there.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isClawError } from '../../../src-main/core/errors.js';
import { offerText, parseTtl } from '../../../src-main/files/cli/file-code-commands.js';
import { pageLink } from '../../../src-main/files/code-offers.js';
import { encodeInvite, parsePairCode } from '../../../src-main/protocol/pair-code.js';

const code = parsePairCode('K7QX-M2RT-9WZA');

test('the relay page link: http for ws, https for wss, the code in the fragment', () => {
  const ws = pageLink(encodeInvite({ code, relayUrl: 'ws://127.0.0.1:7474' }), code.text);
  assert.equal(ws, 'http://127.0.0.1:7474/#receive=K7QX-M2RT-9WZA');
  const wss = pageLink(encodeInvite({ code, relayUrl: 'wss://relay.example:8443/' }), code.text);
  assert.equal(wss, 'https://relay.example:8443/#receive=K7QX-M2RT-9WZA');
  assert.equal(pageLink(encodeInvite({ code }), code.text), undefined, 'a LAN-only code has no page');
});

test('--ttl takes whole seconds from 10 to 86400', () => {
  assert.equal(parseTtl(undefined), undefined);
  assert.equal(parseTtl('10'), 10);
  assert.equal(parseTtl('86400'), 86400);
  for (const bad of ['9', '86401', '1.5', '-20', 'ten', ''])
    assert.throws(
      () => parseTtl(bad),
      (err) => isClawError(err, 'BAD_ARGUMENT'),
      `refused: '${bad}'`,
    );
});

test('the first lines: the code and until when, what is offered, the command there, the page', () => {
  const lines = offerText({
    id: '1',
    code: code.text,
    link: 'clawbridge://file?invite=K7QX-M2RT-9WZA&relay=ws%3A%2F%2F127.0.0.1%3A7474',
    page: 'http://127.0.0.1:7474/#receive=K7QX-M2RT-9WZA',
    expiresAt: '2026-11-29T14:32:00.000Z',
    state: 'open',
    names: ['slides.pdf', 'photos'],
    files: 3,
    bytes: 2048,
  });
  assert.deepEqual(lines, [
    'code: K7QX-M2RT-9WZA (one use; expires at 14:32 UTC)',
    'offering 3 files (2.0 KiB): slides.pdf, photos',
    "on the other machine: clawbridge file receive 'clawbridge://file?invite=K7QX-M2RT-9WZA&relay=ws%3A%2F%2F127.0.0.1%3A7474'",
    'or in a browser: http://127.0.0.1:7474/#receive=K7QX-M2RT-9WZA',
  ]);
});
