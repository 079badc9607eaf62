/**
 * protocol/pairing-wire.ts: a pairing hello names what its code is for (`pair`, by no suffix as every
 * release before; a domain's use after a `/`), and an issuer's refusal of a code made for another
 * command names the command that takes it, with the code, so the joiner can run it: nothing spent it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hintCommandLine } from '../../../src-main/core/hint.js';
import { isClawError } from '../../../src-main/core/errors.js';
import {
  encodePairHello,
  encodeRefusal,
  isPairHello,
  pairHelloOf,
  refusalError,
} from '../../../src-main/protocol/pairing-wire.js';

test("pairing's hello is the one every release sent; a domain's names its use", () => {
  assert.equal(Buffer.from(encodePairHello('K7QX')).toString('ascii'), 'CBPAIR1:K7QX');
  assert.equal(Buffer.from(encodePairHello('K7QX', 'group')).toString('ascii'), 'CBPAIR1:K7QX/group');
  assert.deepEqual(pairHelloOf(encodePairHello('K7QX')), { tag: 'K7QX', use: 'pair' });
  assert.deepEqual(pairHelloOf(encodePairHello('K7QX', 'group')), { tag: 'K7QX', use: 'group' });
  assert.ok(isPairHello(encodePairHello('K7QX', 'group')), 'still a pairing hello by its first frame');
});

test('a refusal for its use names the command that takes the code, with the code', () => {
  const err = refusalError(encodeRefusal({ reason: 'code-use', use: 'group' }), 'K7QX-M2RT-9WZA');
  assert.ok(isClawError(err, 'BAD_PAIR_CODE'), `a code error: ${String(err)}`);
  assert.match(err.message, /still good/, 'and says the code is not spent');
  const hint = err.hint;
  assert.ok(hint, 'the command is a hint');
  assert.equal(hintCommandLine(hint, '/h'), 'clawbridge group join K7QX-M2RT-9WZA --home /h');
  assert.equal(
    err.message.slice(hint.at![0], hint.at![1]),
    '`clawbridge group join K7QX-M2RT-9WZA`',
    'named inside the sentence',
  );
});

test('a refusal naming a use that is no command word is malformed, not a command to run', () => {
  const frame = Buffer.concat([
    Buffer.from('CBPAIRX:', 'ascii'),
    Buffer.from(JSON.stringify({ reason: 'code-use', use: 'rm -rf' })),
  ]);
  const err = refusalError(frame, 'K7QX-M2RT-9WZA');
  assert.ok(isClawError(err, 'PAIRING_FAILED'), `refused as malformed: ${String(err)}`);
  assert.equal(err.hint, undefined, 'with no command');
});
