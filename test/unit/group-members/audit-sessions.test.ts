/**
 * group-members/audit-sessions.ts: a group's sessions on one device from its audit log — an end line
 * with its start line (matched by peer, what and the end's duration), a start with no end still open,
 * a line that names another group left out, a line that names none counted when its peer is one of
 * the group's members' devices, and what the device opened on others (`opened`) never counted.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuditEvent } from '../../../src-main/audit/audit-events.js';
import { groupSessions } from '../../../src-main/group-members/audit-sessions.js';

const M1 = { name: 'm1', fingerprint: '1'.repeat(64) };
const M2 = { name: 'm2', fingerprint: '2'.repeat(64) };
const X = { name: 'x', fingerprint: '9'.repeat(64) };
const O2 = { name: 'o2', fingerprint: 'e'.repeat(64) };

function line(
  phase: 'start' | 'end',
  time: string,
  peer: { name: string; fingerprint: string },
  extra: Partial<Extract<AuditEvent, { kind: 'terminal' }>> = {},
): AuditEvent {
  return { kind: 'terminal', phase, side: 'served', time, peer, what: 'sh → pty', outcome: 'ok', ...extra };
}

test("a group's sessions on a device: start and end paired, an open one, others' left out", () => {
  const events: AuditEvent[] = [
    line('start', '2026-11-28T10:00:00.000Z', M1, { group: 'lab', path: 'relay' }),
    line('start', '2026-11-28T10:01:00.000Z', M2),
    line('start', '2026-11-28T10:02:00.000Z', X),
    line('start', '2026-11-28T10:03:00.000Z', M1, { group: 'other, ops' }),
    line('end', '2026-11-28T10:05:00.000Z', M1, {
      group: 'ops, lab',
      durationMs: 300_000,
      reason: 'the shell exited',
      path: 'relay',
    }),
    line('start', '2026-11-28T10:06:00.000Z', M1, { side: 'opened', group: 'lab' }),
  ];
  const sessions = groupSessions(events, { name: 'lab' }, O2, new Set([M1.fingerprint, M2.fingerprint]));
  assert.deepEqual(
    sessions.map((s) => [s.memberDevice.name, s.start, s.end, s.reason ?? null]),
    [
      ['m2', '2026-11-28T10:01:00.000Z', null, null],
      ['m1', '2026-11-28T10:00:00.000Z', '2026-11-28T10:05:00.000Z', 'the shell exited'],
    ],
    "newest first; the outsider's, the other group's and what this device opened are not the group's",
  );
  assert.deepEqual(sessions[1]?.device, O2, 'on the device that served it');
  assert.equal(sessions[1]?.path, 'relay');
});

test('an end whose start line is gone (rotated away) still gives its start from its duration', () => {
  const events = [line('end', '2026-11-28T10:05:00.000Z', M1, { group: 'lab', durationMs: 60_000 })];
  assert.deepEqual(
    groupSessions(events, { name: 'lab' }, O2, new Set()).map((s) => [s.start, s.end]),
    [['2026-11-28T10:04:00.000Z', '2026-11-28T10:05:00.000Z']],
  );
});
