/**
 * The audit line parser (audit/audit-events.ts parseAuditLine) under fast-check: every event the
 * schema describes survives a write and a read unchanged, and no input — random text, random JSON,
 * a valid line cut anywhere — throws or yields something the schema does not accept.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { auditEventSchema, parseAuditLine, type AuditEvent } from '../../src-main/audit/audit-events.js';
import { fuzzRuns } from '../helpers/fuzz-runs.js';
// The domains' audit kinds (a terminal's sessions, messages'), as the agent and `log` read them.
import '../helpers/agent-contract.js';

const fingerprint = fc.stringMatching(/^[0-9a-f]{64}$/);
const time = fc
  .integer({ min: Date.parse('2000-01-01'), max: Date.parse('2100-01-01') })
  .map((ms) => new Date(ms).toISOString());
const base = fc.record(
  {
    time,
    peer: fc.record({ name: fc.string({ maxLength: 30 }), fingerprint }, { noNullPrototype: true }),
    path: fc.constantFrom('direct' as const, 'relay' as const, 'route' as const),
    address: fc.string({ maxLength: 40 }),
    what: fc.string({ maxLength: 60 }),
    outcome: fc.constantFrom('ok' as const, 'refused' as const, 'failed' as const),
    reason: fc.string({ maxLength: 60 }),
  },
  { requiredKeys: ['time', 'what', 'outcome'], noNullPrototype: true },
);
const n = fc.nat();
const event: fc.Arbitrary<AuditEvent> = fc.oneof(
  fc
    .tuple(
      base,
      fc.constantFrom('start' as const, 'end' as const),
      fc.constantFrom('served' as const, 'opened' as const),
    )
    .map(([b, phase, side]) => ({ kind: 'terminal' as const, ...b, phase, side })),
  fc
    .tuple(base, fc.string({ maxLength: 20 }), n, n, n)
    .map(([b, connection, bytesIn, bytesOut, durationMs]) => ({
      kind: 'connection' as const,
      ...b,
      connection,
      bytesIn,
      bytesOut,
      durationMs,
    })),
  base.map((b) => ({ kind: 'refused' as const, ...b, service: 'terminal' })),
  fc
    .tuple(base, fc.constantFrom('approved' as const, 'rejected' as const))
    .map(([b, decision]) => ({ kind: 'approval' as const, ...b, decision })),
  fc
    .tuple(
      base,
      fc.subarray(['terminal', 'forward', 'relay', 'listen']),
      fc.subarray(['terminal', 'forward']),
    )
    .map(([b, before, after]) => ({ kind: 'permission' as const, ...b, before, after })),
);

test('every event round-trips through a line', () => {
  fc.assert(
    fc.property(event, (e) => {
      assert.deepEqual(parseAuditLine(JSON.stringify(e)), e);
    }),
    { numRuns: fuzzRuns() },
  );
});

test('any text, any JSON and any cut line: never throws, and a result always passes the schema', () => {
  const check = (line: string) => {
    const parsed = parseAuditLine(line);
    if (parsed !== null)
      assert.ok(auditEventSchema().safeParse(parsed).success, 'auditEventSchema().safeParse(parsed).success');
  };
  fc.assert(fc.property(fc.string(), check), { numRuns: fuzzRuns() });
  fc.assert(fc.property(fc.json(), check), { numRuns: fuzzRuns() });
  fc.assert(
    fc.property(event, fc.nat(), (e, at) => {
      const line = JSON.stringify(e);
      const cut = line.slice(0, at % line.length);
      // A line cut short is never an event (a torn write is counted as bad, not misread).
      assert.equal(parseAuditLine(cut), null);
    }),
    { numRuns: fuzzRuns() },
  );
});
