/**
 * `clawbridge log`'s table (cli/log-command.ts): one line per event, the peer with its fingerprint's
 * start, path and address, bytes for what ended, and the outcome with its reason last.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auditTable } from '../../../src-main/cli/log-command.js';

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
  assert.match(lines[0]!, /^TIME \(UTC\)\s+EVENT\s+PEER\s+PATH\s+WHAT\s+BYTES IN\/OUT\s+OUTCOME$/);
  assert.match(
    lines[1]!,
    /^2026-11-23 19:18:31\s+connection tcp-exit\s+b \(f288c004\)\s+relay wss:\/\/r\.example\s+b → 127\.0\.0\.1:80\s+2\.0 KiB\/10 B\s+ok$/,
  );
  assert.match(
    lines[2]!,
    /^2026-11-23 19:18:32\s+refused\s+b \(f288c004\)\s+-\s+terminal stream\s+-\s+refused: permission denied$/,
  );
});
