/**
 * `clawbridge msg`'s flags and inputs (messages/cli/msg-commands.ts), checked before anything is sent or the
 * agent is asked: each error names its flag.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bodiesToSend,
  parseIds,
  parseSendWait,
  parseTimeout,
  parseTopic,
  parseTtl,
} from '../../../src-main/messages/cli/msg-commands.js';

const ID = '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';

test('flags are checked before anything is sent, each error naming its flag', () => {
  assert.equal(parseTopic('status/disk'), 'status/disk');
  assert.equal(parseTopic(undefined), undefined);
  assert.throws(() => parseTopic('no spaces'), /^ClawError: --topic: topic "no spaces" may hold only/);
  assert.equal(parseTtl('1h'), 3_600_000);
  assert.throws(() => parseTtl('500ms'), /^ClawError: --ttl: a message's time to live is 1 s to 30 days/);
  assert.throws(() => parseTtl('31d'), /--ttl: /);
  assert.throws(() => parseTtl('soon'), /--ttl 'soon' is not a duration/);
  assert.deepEqual(parseSendWait(undefined, undefined), { timeoutMs: 30_000 });
  assert.deepEqual(parseSendWait('read', '5s'), { wait: 'read', timeoutMs: 5000 });
  assert.deepEqual(parseSendWait('delivered', undefined), { wait: 'delivered', timeoutMs: 30_000 });
  assert.throws(() => parseSendWait('received', undefined), /--wait takes delivered or read, got 'received'/);
  assert.throws(() => parseSendWait(undefined, '5s'), /--timeout is how long --wait waits/);
  assert.throws(() => parseTimeout('0s'), /--timeout must be more than 0/);
  assert.deepEqual(parseIds([ID, ID.toUpperCase()]), [ID], 'one ID, whatever its case');
  assert.throws(() => parseIds(['nope']), /'nope' is no message ID: a message ID is 36 characters/);
});

test('TEXT and --lines do not go together; TEXT over 1 MiB is refused naming the limit', async () => {
  await assert.rejects(bodiesToSend('x', true), /give TEXT or --lines/);
  assert.deepEqual(await bodiesToSend('hello', false), [{ text: 'hello' }]);
  await assert.rejects(bodiesToSend('x'.repeat(1024 * 1024 + 1), false), /at most 1 MiB \(1048576 bytes\)/);
});
