/**
 * The Activity view's words (features/activity/activity-text.ts): each event kind in plain words,
 * where it came from, and what it moved.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventText, trafficText, whereText } from '../../../src-renderer/features/activity/activity-text.js';
import type { AuditEvent } from '../../../src-main/audit/audit-events.js';

const base = { time: '2026-01-01T00:00:00.000Z', what: 'x', outcome: 'ok' as const };

test('events in words, the path and address they came on, and their traffic', () => {
  const ended: AuditEvent = {
    ...base,
    kind: 'connection',
    connection: 'tcp-exit',
    path: 'relay',
    address: 'wss://r.example',
    bytesIn: 2048,
    bytesOut: 10,
    durationMs: 4200,
  };
  assert.equal(eventText(ended), 'Exit for a peer ended');
  assert.equal(whereText(ended), 'relay wss://r.example');
  assert.equal(trafficText(ended), '2.0 KiB in, 10 B out, 4 s');
  const start: AuditEvent = { ...base, kind: 'terminal', phase: 'start', side: 'served' };
  assert.equal(eventText(start), 'Terminal started here');
  assert.equal(whereText(start), null);
  assert.equal(trafficText(start), null, 'a start moved nothing yet');
  assert.equal(eventText({ ...start, phase: 'resume', side: 'opened' }), 'Terminal resumed on the peer');
  assert.equal(eventText({ ...base, kind: 'approval', decision: 'rejected' }), 'Request rejected');
  assert.equal(eventText({ ...base, kind: 'refused', service: 'terminal' }), 'Refused');
  assert.equal(
    eventText({
      ...base,
      kind: 'connection',
      connection: 'future-kind',
      bytesIn: 0,
      bytesOut: 0,
      durationMs: 0,
    }),
    'future-kind ended',
  );
});
