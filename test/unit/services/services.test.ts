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

test("a member's device refused a word is told the group's command, with the list it would come to", () => {
  const services = new ServiceRegistry();
  services.register('tcp-connect', {
    permission: 'forward',
    noun: 'forwards',
    admits: 'connection',
    kind: 'tcp-exit',
    handle: () => undefined,
  });
  const member = { fingerprint: 'a'.repeat(64), name: 'm1/m1', allow: ['terminal'] as const };
  services.admitGuests({
    guests: () => [{ ...member, allow: [...member.allow], because: ['group lab'], dial: false }],
    onChange: () => () => undefined,
  });
  const denied = request('tcp-connect');
  services.dispatch('o2', { ...member, allow: [...member.allow] }, denied.req);
  assert.equal(denied.answer.code, 'PERMISSION_DENIED');
  assert.equal(
    denied.answer.reason,
    'permission denied: o2 does not allow forwards from m1/m1 (its owner can run `clawbridge group allow lab terminal,forward` there)',
    'not `peers allow m1/m1`, which o2 refuses for a node that is no peer there',
  );
});
