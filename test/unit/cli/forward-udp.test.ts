/** `forward list` and `forward add --udp-idle` for UDP forwards: the address says /udp, a line gives the datagram counters. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ForwardInfo } from '../../../src-main/forwards/forwards-contract.js';
import { forwardTable, parseIdleSeconds } from '../../../src-main/forwards/cli/forward-commands.js';
import { isClawError } from '../../../src-main/core/errors.js';

const base: ForwardInfo = {
  name: 'web',
  direction: 'local',
  local: '127.0.0.1:8080',
  via: 'b',
  viaFingerprint: null,
  remote: '127.0.0.1:80',
  state: 'listening',
  open: 0,
  connections: 0,
  bytesIn: 0,
  bytesOut: 0,
};

test('a UDP forward shows /udp on its address and a line with its flows and datagrams; TCP rows stay as they were', () => {
  const udp: ForwardInfo = {
    ...base,
    name: 'dns',
    local: '127.0.0.1:5353',
    remote: '10.0.0.53:53',
    protocol: 'udp',
    udpIdleS: 30,
    open: 2,
    connections: 3,
    datagramsIn: 7,
    datagramsOut: 9,
    dropped: 1,
  };
  const text = forwardTable([base, udp]);
  const lines = text.split('\n');
  assert.match(lines[1]!, /^web\s+local\s+127\.0\.0\.1:8080\s+b/);
  assert.match(lines[2]!, /^dns\s+local\s+127\.0\.0\.1:5353\/udp\s+b\s+10\.0\.0\.53:53\s+2\s+3/);
  assert.ok(
    text.endsWith('dns: UDP, flows idle out after 30 s; datagrams in 7, out 9, dropped 1'),
    "text.endsWith('dns: UDP, flows idle out after 30 s; datagrams in 7, out 9, dropped 1')",
  );
  assert.ok(!forwardTable([base]).includes('UDP'), "!forwardTable([base]).includes('UDP')");
});

test('--udp-idle takes seconds, minutes or hours from 1 s to 1 h', () => {
  assert.equal(parseIdleSeconds('60'), 60);
  assert.equal(parseIdleSeconds('45s'), 45);
  assert.equal(parseIdleSeconds('2m'), 120);
  assert.equal(parseIdleSeconds('1h'), 3600);
  for (const bad of ['0', '2h', 'soon', '-5s', '1.5m', '']) {
    assert.throws(
      () => parseIdleSeconds(bad),
      (err) => isClawError(err, 'BAD_ARGUMENT'),
      bad,
    );
  }
});
