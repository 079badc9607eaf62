/**
 * `clawbridge log`'s table (cli/log-command.ts): one line per event, the peer with its fingerprint's
 * start, path and address, bytes for what ended, and the outcome with its reason last.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auditEventSchema, type AuditEvent } from '../../../src-main/audit/audit-events.js';
import { auditKindText, auditTable } from '../../../src-main/cli/log-command.js';
// The domains' audit kinds (a terminal's sessions, messages'), as the agent and `log` read them.
import '../../helpers/agent-contract.js';

const peer = { name: 'b', fingerprint: 'f288c004'.repeat(8) };

test('one readable line per event; nothing to show says so', () => {
  assert.equal(auditTable([]), 'no events');
  const lines = auditTable([
    {
      kind: 'connection',
      time: '2026-11-23T19:18:31.123Z',
      peer,
      path: 'relay',
      address: 'wss://r.example',
      what: 'b → 127.0.0.1:80',
      outcome: 'ok',
      connection: 'tcp-exit',
      bytesIn: 2048,
      bytesOut: 10,
      durationMs: 30,
    },
    {
      kind: 'refused',
      time: '2026-11-23T19:18:32.000Z',
      peer,
      what: 'terminal stream',
      outcome: 'refused',
      reason: 'permission denied',
      service: 'terminal',
    },
  ]).split('\n');
  assert.equal(lines.length, 3);
  assert.match(lines[0]!, /^TIME \(UTC\)\s+EVENT\s+PEER\s+GROUP\s+PATH\s+WHAT\s+BYTES IN\/OUT\s+OUTCOME$/);
  assert.match(
    lines[1]!,
    /^2026-11-23 19:18:31\s+connection tcp-exit\s+b \(f288c004\)\s+-\s+relay wss:\/\/r\.example\s+b -> 127\.0\.0\.1:80\s+2\.0 KiB\/10 B\s+ok$/,
  );
  assert.match(
    lines[2]!,
    /^2026-11-23 19:18:32\s+refused\s+b \(f288c004\)\s+-\s+-\s+terminal stream\s+-\s+refused: permission denied$/,
  );
});

test('a port mapping made and one removed read apart in the text, as they do in --json', () => {
  const mapping = {
    kind: 'port-mapping' as const,
    time: '2026-11-23T19:18:31.000Z',
    address: '203.0.113.7:7475',
    what: 'upnp mapping of TCP port 7475 on the router at 192.168.1.1',
    outcome: 'ok' as const,
  };
  const lines = auditTable([
    { ...mapping, change: 'made' },
    { ...mapping, change: 'removed' },
  ]).split('\n');
  assert.match(
    lines[1]!,
    /^2026-11-23 19:18:31\s+port mapping made\s+-\s+-\s+203\.0\.113\.7:7475\s+upnp mapping/,
  );
  assert.match(
    lines[2]!,
    /^2026-11-23 19:18:31\s+port mapping removed\s+-\s+-\s+203\.0\.113\.7:7475\s+upnp mapping/,
  );
});

test('every sub-kind an event can carry shows in its EVENT text, so no two kinds of event read the same', () => {
  // What happened, from the schema itself (each kind's `change`, `phase` or `decision`): a kind
  // added there with a sub-kind that `log` does not print fails here. (`side`, a terminal's
  // direction, shows in WHAT.)
  const SUB_KINDS = ['change', 'phase', 'decision'];
  const seen = new Map<string, string>();
  for (const option of auditEventSchema().options) {
    const shape = option.shape as Record<string, { options?: readonly string[] }>;
    const kind = (shape.kind as unknown as { value: string }).value;
    const subKinds = Object.entries(shape).filter(([field]) => SUB_KINDS.includes(field));
    const values =
      subKinds.length === 0 ? [{}] : subKinds.flatMap(([f, s]) => s.options!.map((v) => ({ [f]: v })));
    for (const fields of values) {
      const event = { kind, time: '2026-11-23T19:18:31.000Z', what: 'x', outcome: 'ok', by: peer, ...fields };
      const text = auditKindText(event as unknown as AuditEvent);
      const what = `${kind} ${JSON.stringify(fields)}`;
      assert.ok(!seen.has(text), `${what} prints "${text}", as ${seen.get(text)} does`);
      seen.set(text, what);
    }
  }
  assert.ok(seen.size > 20, `found the kinds (${seen.size})`);
});

test("a kind only a domain's piece brings, which `log` does not name, prints as its kind and what happened", () => {
  const at = { time: '2026-11-23T19:18:31.000Z', what: 'x', outcome: 'ok' };
  assert.equal(
    auditKindText({ kind: 'notes', change: 'added', ...at } as unknown as AuditEvent),
    'notes added',
  );
  assert.equal(auditKindText({ kind: 'notes', ...at } as unknown as AuditEvent), 'notes');
});

test('a group change reads with who did it, and its group in a column of its own', () => {
  const owner = { name: 'o1', fingerprint: 'a'.repeat(64) };
  const event = {
    kind: 'group-change',
    time: '2026-11-23T19:18:31.000Z',
    change: 'device-added',
    by: owner,
    group: 'lab',
    peer: { name: 'o2', fingerprint: 'b'.repeat(64) },
    what: 'device o2 added',
    outcome: 'ok',
  };
  assert.ok(auditEventSchema().safeParse(event).success, 'a line the reader keeps');
  const [, line] = auditTable([event as unknown as AuditEvent]).split('\n');
  assert.match(
    line!,
    /^2026-11-23 19:18:31\s+group-change device-added by o1\s+o2 \(bbbbbbbb\)\s+lab\s+-\s+device o2 added\s+-\s+ok$/,
  );
});
