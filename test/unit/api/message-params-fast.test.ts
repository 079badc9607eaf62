/**
 * The hand check of messages.send / messages.sendMany params (messages/message-params-fast.ts, ADR 0059, the messages contract's `fastParams`):
 * what it passes, the contract's zod schemas accept unchanged; what it does not pass goes to zod, so
 * every error reads as before. Checked over valid batches and one change at a time of each field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agentContract, paramsSchema } from '../../helpers/agent-contract.js';
import { validateParams } from '../../../src-main/api/validate.js';

const ID = '0193a1b2-c3d4-7e5f-8a9b-000000000001';
const good = [
  { text: 'hello' },
  { base64: 'AAEC', topic: 'jobs/build:1', ttlMs: 60_000 },
  { text: '', replyTo: ID, error: true },
  { text: 'x', replyTo: ID, error: false, topic: 'a' },
];
/** One bad value (or extra key) per field, as a client might send it. */
const bad: unknown[] = [
  {},
  { text: 'a', base64: 'AAEC' },
  { text: 1 },
  { base64: 5 },
  { text: 'a', topic: '' },
  { text: 'a', topic: '-x' },
  { text: 'a', topic: 3 },
  { text: 'a', ttlMs: 1.5 },
  { text: 'a', ttlMs: 10 },
  { text: 'a', ttlMs: '60000' },
  { text: 'a', replyTo: 'nope' },
  { text: 'a', error: 'yes', replyTo: ID },
  { text: 'a', extra: 1 },
  { text: 'a', peer: 'b' },
  { base64: 'not base64!' },
  { text: 'a', error: true },
  null,
  'text',
];

const fastMessageParams = (method: 'messages.send' | 'messages.sendMany', params: unknown) =>
  agentContract.fastParams(method, params);

const zodAccepts = (method: 'messages.send' | 'messages.sendMany', params: unknown) =>
  paramsSchema(method).safeParse(params);

test('messages.sendMany: a valid batch is taken as it is, without zod, and zod takes it the same', () => {
  const params = { peer: 'office', messages: Array.from({ length: 1000 }, (_, i) => good[i % good.length]) };
  assert.equal(fastMessageParams('messages.sendMany', params), params);
  const parsed = zodAccepts('messages.sendMany', params);
  assert.ok(parsed.success, 'parsed.success');
  assert.deepEqual(parsed.data, params);
  assert.equal(validateParams(agentContract, 'messages.sendMany', params), params);
});

test('whatever the hand check passes zod accepts unchanged; whatever zod refuses the hand check leaves to it (same error words)', () => {
  const cases: { method: 'messages.send' | 'messages.sendMany'; params: unknown }[] = [];
  for (const m of [...good, ...bad]) {
    cases.push({ method: 'messages.sendMany', params: { peer: 'office', messages: [good[0], m] } });
    cases.push({
      method: 'messages.send',
      params: m !== null && typeof m === 'object' ? { peer: 'office', ...m } : m,
    });
  }
  cases.push(
    { method: 'messages.sendMany', params: { peer: 'office', messages: [] } },
    { method: 'messages.sendMany', params: { peer: 'office', messages: Array(1001).fill(good[0]) } },
    { method: 'messages.sendMany', params: { peer: '', messages: [good[0]] } },
    { method: 'messages.sendMany', params: { peer: 'x'.repeat(201), messages: [good[0]] } },
    { method: 'messages.sendMany', params: { peer: 'office', messages: [good[0]], more: 1 } },
    { method: 'messages.sendMany', params: { peer: 'office', messages: 'all' } },
    { method: 'messages.sendMany', params: { peer: 'office', messages: [good[0]], answer: 'compact' } },
    { method: 'messages.sendMany', params: { peer: 'office', messages: [good[0]], answer: 'full' } },
    { method: 'messages.sendMany', params: { peer: 'office', messages: [good[0]], answer: null } },
    { method: 'messages.send', params: { text: 'no peer' } },
  );
  let fastTaken = 0;
  for (const { method, params } of cases) {
    const fast = fastMessageParams(method, params);
    const zod = zodAccepts(method, params);
    const what = `${method} ${JSON.stringify(params).slice(0, 120)}`;
    if (fast !== undefined) {
      fastTaken++;
      assert.ok(zod.success, `the hand check passed what zod refuses: ${what}`);
      assert.deepEqual(zod.data, params, what);
    }
    if (!zod.success) assert.equal(fast, undefined, what);
  }
  const compact = { peer: 'office', messages: [good[0]], answer: 'compact' };
  assert.equal(fastMessageParams('messages.sendMany', compact), compact, 'the compact answer asked, by hand');
  assert.ok(fastTaken >= 8, `the hand check took only ${fastTaken} cases`);
});
