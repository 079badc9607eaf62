/** The renderer's pure helpers: what people read, and the rules the views apply. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PendingInfo } from '../../../src-main/api/contract.js';
import { reconnectDelay, RECONNECT_FIRST_MS, RECONNECT_MAX_MS } from '../../../src-renderer/api/backoff.js';
import { approveParams } from '../../../src-renderer/features/approvals/approve-params.js';
import { fieldOfError } from '../../../src-renderer/features/forwards/field-error.js';
import {
  JOIN_IDLE,
  joinedRequest,
  nextJoin,
  nextNew,
  stepState,
  type JoinProgress,
} from '../../../src-renderer/features/pair/pair-steps.js';
import { terminalKeyAction } from '../../../src-renderer/features/terminals/keys.js';
import {
  formatAgo,
  formatBytes,
  formatCountdown,
  groupFingerprint,
  normalizeCode,
} from '../../../src-renderer/lib/format.js';

const request = (via: 'code' | 'fingerprint'): PendingInfo => ({
  id: 'r1',
  name: 'laptop',
  displayName: 'laptop',
  fingerprint: 'ab'.repeat(32),
  via,
  address: 'ws://127.0.0.1:1',
  age: 3,
  knownAs: null,
});

test('a fingerprint-only request is approved with the compared fingerprint; a code-verified one by id', () => {
  assert.deepEqual(approveParams(request('fingerprint'), ['terminal']), {
    id: 'r1',
    fingerprint: 'ab'.repeat(32),
    allow: ['terminal'],
  });
  assert.deepEqual(approveParams(request('code'), ['terminal', 'forward']), {
    id: 'r1',
    allow: ['terminal', 'forward'],
  });
});

test('"This is one of my devices": sent ticked; unticked only on a request whose code was made as mine', () => {
  assert.equal(approveParams(request('code'), [], true).mine, true);
  assert.equal('mine' in approveParams(request('code'), [], false), false);
  assert.equal(approveParams({ ...request('code'), mine: true }, [], false).mine, false);
});

test('fingerprints in groups of four; sizes, ages and countdowns in words', () => {
  assert.deepEqual(groupFingerprint('85544CD42BCF'), ['8554', '4cd4', '2bcf']);
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(3 * 1024 * 1024 + 17), '3.0 MiB');
  assert.equal(formatBytes(20 * 1024 * 1024), '20 MiB');
  assert.equal(formatAgo(2), 'just now');
  assert.equal(formatAgo(125), '2 min ago');
  assert.equal(formatCountdown(new Date(10_000 + 61_000).toISOString(), 10_000), '1:01');
  assert.equal(formatCountdown(new Date(5_000).toISOString(), 10_000), 'expired');
});

test('a typed code is upper-cased, an invite link is left alone', () => {
  assert.equal(normalizeCode(' k7qx-m2rt-9wza '), 'K7QX-M2RT-9WZA');
  assert.equal(normalizeCode('clawbridge://pair/k7qx?relay=x'), 'clawbridge://pair/k7qx?relay=x');
});

test('an API refusal is shown beside the field it is about', () => {
  const v = { local: '127.0.0.1:8080', via: 'b', remote: '127.0.0.1:99999', name: '' };
  assert.equal(
    fieldOfError('BAD_ARGUMENT', "'127.0.0.1:99999': port must be a number from 0 to 65535", v),
    'remote',
  );
  assert.equal(fieldOfError('ADDRESS_IN_USE', '127.0.0.1:8080 is already in use', v), 'local');
  assert.equal(fieldOfError('PEER_NOT_FOUND', 'no peer b', v), 'via');
  assert.equal(
    fieldOfError('BAD_ARGUMENT', 'invalid parameters for forward.add: name: use 1–64 letters', v),
    'name',
  );
  assert.equal(
    fieldOfError('BAD_ARGUMENT', '0.0.0.0:8080 is not a loopback address: other machines could connect', v),
    'local',
  );
  assert.equal(fieldOfError('INTERNAL', 'something else', v), 'form');
});

test('terminal shortcuts take Shift; plain Ctrl+C stays the shell’s interrupt; tabs use Alt+Shift', () => {
  const key = (
    k: string,
    mods: Partial<{ ctrl: boolean; shift: boolean; meta: boolean; alt: boolean }> = {},
    code?: string,
  ) => ({
    key: k,
    code,
    ctrlKey: !!mods.ctrl,
    shiftKey: !!mods.shift,
    metaKey: !!mods.meta,
    altKey: !!mods.alt,
  });
  assert.equal(terminalKeyAction(key('c', { ctrl: true })), null);
  assert.equal(terminalKeyAction(key('C', { ctrl: true, shift: true })), 'copy');
  assert.equal(terminalKeyAction(key('v', { meta: true, shift: true })), 'paste');
  assert.equal(terminalKeyAction(key('F', { ctrl: true, shift: true })), 'search');
  assert.equal(terminalKeyAction(key('T', { alt: true, shift: true })), 'new-tab');
  // Option+Shift+T on a Mac types a symbol; its code still says T.
  assert.equal(terminalKeyAction(key('ˇ', { alt: true, shift: true }, 'KeyT')), 'new-tab');
  assert.equal(terminalKeyAction(key('W', { alt: true, shift: true })), 'close-tab');
  assert.equal(terminalKeyAction(key('ArrowRight', { alt: true, shift: true })), 'next-tab');
  // The way out of the terminal; Tab, Escape and a plain Alt+↑ stay the shell's.
  assert.equal(terminalKeyAction(key('ArrowUp', { alt: true, shift: true })), 'leave-terminal');
  assert.equal(terminalKeyAction(key('ArrowUp', { alt: true })), null);
  assert.equal(terminalKeyAction(key('Tab', { shift: true })), null);
  assert.equal(terminalKeyAction(key('Escape', {})), null);
  assert.equal(
    terminalKeyAction(key('T', { ctrl: true, shift: true })),
    null,
    'the browser keeps Ctrl+Shift+T',
  );
});

test('join steps move forward only, and the answer to the request wins over late events', () => {
  let p: JoinProgress = { ...JOIN_IDLE, phase: 'finding' };
  p = nextJoin(p, { role: 'join', step: 'checking' });
  p = nextJoin(p, { role: 'join', step: 'waiting', peerName: 'a', fingerprint: 'f', ownFingerprint: 'o' });
  assert.equal(stepState(p, 'finding'), 'done');
  assert.equal(stepState(p, 'waiting'), 'current');
  assert.equal(p.peerName, 'a');
  assert.equal(nextJoin(p, { role: 'join', step: 'finding' }), p, 'no going back');
  assert.equal(nextJoin(p, { role: 'new', step: 'joined' }), p, 'the issuer side is not ours');
  const paired = nextJoin(p, { role: 'join', step: 'paired' });
  assert.equal(nextJoin(paired, { role: 'join', step: 'failed' }), paired);
});

test('a rejected join shows the approval step as failed, not ticked', () => {
  let p: JoinProgress = { ...JOIN_IDLE, phase: 'finding' };
  p = nextJoin(p, { role: 'join', step: 'waiting', peerName: 'bravo' });
  p = nextJoin(p, { role: 'join', step: 'rejected' });
  assert.equal(p.phase, 'rejected');
  assert.equal(stepState(p, 'finding'), 'done');
  assert.equal(stepState(p, 'checking'), 'done');
  assert.equal(stepState(p, 'waiting'), 'failed');
  const paired = nextJoin({ ...JOIN_IDLE, phase: 'waiting' }, { role: 'join', step: 'paired' });
  assert.equal(stepState(paired, 'waiting'), 'done');
});

test('the code on show follows only events about that code', () => {
  const start = {
    phase: 'showing' as const,
    peerName: null,
    fingerprint: null,
    message: null,
    pendingId: null,
  };
  assert.equal(nextNew(start, 'AAAA', { role: 'new', code: 'BBBB', step: 'joined' }), start);
  const joined = nextNew(start, 'AAAA', {
    role: 'new',
    code: 'AAAA',
    step: 'joined',
    peerName: 'b',
    fingerprint: 'f',
    pendingId: 'r7',
  });
  assert.deepEqual(joined, {
    phase: 'joined',
    peerName: 'b',
    fingerprint: 'f',
    message: null,
    pendingId: 'r7',
  });
});

test('Approve on the code on show answers exactly the request its joined event named', () => {
  const fingerprint = 'ab'.repeat(32);
  const joined = nextNew(
    { phase: 'showing', peerName: null, fingerprint: null, message: null, pendingId: null },
    'AAAA',
    { role: 'new', code: 'AAAA', step: 'joined', peerName: 'laptop', fingerprint, pendingId: 'r2' },
  );
  // An older request of the same device, still listed first, is not the one shown.
  const older = { ...request('code'), id: 'r1' };
  const shown = { ...request('code'), id: 'r2' };
  assert.equal(joinedRequest(joined, [older, shown])?.id, 'r2');
  // Gone (answered elsewhere, expired): nothing to approve, rather than another request of that device.
  assert.equal(joinedRequest(joined, [older]), undefined);
});

test('reconnect delays double from 500 ms to at most 5 s, with jitter', () => {
  assert.equal(
    reconnectDelay(0, () => 0.5),
    RECONNECT_FIRST_MS,
  );
  assert.equal(
    reconnectDelay(1, () => 0.5),
    2 * RECONNECT_FIRST_MS,
  );
  assert.equal(
    reconnectDelay(30, () => 0.5),
    RECONNECT_MAX_MS,
  );
  assert.ok(
    reconnectDelay(30, () => 1) <= RECONNECT_MAX_MS * 1.2,
    'reconnectDelay(30, () => 1) <= RECONNECT_MAX_MS * 1.2',
  );
});
