import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ServiceRegistry } from '../../../src-main/services/services.js';
import type { StreamRequest } from '../../../src-main/mux/types.js';
import { MAX_REASON_BYTES } from '../../../src-main/protocol/mux-frames.js';

/** A request that records how it was answered. */
function request(service: string): {
  req: StreamRequest;
  answer: { code?: string; reason?: string; accepted?: boolean };
} {
  const answer: { code?: string; reason?: string; accepted?: boolean } = {};
  const req: StreamRequest = {
    service,
    args: {},
    accept: () => {
      answer.accepted = true;
      return undefined as never;
    },
    reject: (code, reason) => Object.assign(answer, { code, reason }),
    signal: new AbortController().signal,
  };
  return { req, answer };
}

test('a missing permission is refused with the command its owner runs there; long names leave the command out rather than cut it', () => {
  const services = new ServiceRegistry();
  let handled = 0;
  services.register('terminal', {
    permission: 'terminal',
    noun: 'terminals',
    admits: 'session',
    kind: 'terminal-served',
    handle: () => void handled++,
  });
  const denied = request('terminal');
  services.dispatch('b', { fingerprint: 'f'.repeat(64), name: 'a', allow: ['forward'] }, denied.req);
  assert.deepEqual(denied.answer, {
    code: 'PERMISSION_DENIED',
    reason:
      'permission denied: b does not allow terminals from a (its owner can run `clawbridge peers allow a terminal` there)',
  });
  const long = 'n'.repeat(100);
  const cut = request('terminal');
  services.dispatch(long, { fingerprint: 'f'.repeat(64), name: long, allow: [] }, cut.req);
  assert.equal(cut.answer.reason, `permission denied: ${long} does not allow terminals from ${long}`);
  assert.ok(
    Buffer.byteLength(cut.answer.reason) <= MAX_REASON_BYTES,
    'Buffer.byteLength(cut.answer.reason) <= MAX_REASON_BYTES',
  );
  const allowed = request('terminal');
  services.dispatch('b', { fingerprint: 'f'.repeat(64), name: 'a', allow: ['terminal'] }, allowed.req);
  assert.equal(handled, 1);
  const unknown = request('nope');
  services.dispatch('b', { fingerprint: 'f'.repeat(64), name: 'a', allow: ['terminal'] }, unknown.req);
  assert.equal(unknown.answer.code, 'UNKNOWN_SERVICE');
});

test('streams of a registered service count as the owner’s use of a pair, unless it is background; the link’s own do not', () => {
  const services = new ServiceRegistry();
  const held = { permission: null, noun: 'things', admits: 'held', handle: () => undefined } as const;
  services.register('tcp-connect', held);
  services.register('groups', { ...held, background: true });
  assert.equal(services.countsAsUse('tcp-connect'), true, 'a service the owner uses counts');
  assert.equal(services.countsAsUse('groups'), false, 'an exchange on its own schedule does not');
  assert.equal(services.countsAsUse('control'), false, 'the link’s own streams register no service');
});
