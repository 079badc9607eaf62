/** What NAT a node is behind, from relays' observations, and why a pair stays relayed. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  classifyNat,
  classifyNatLeaning,
  explainRelayed,
  type NatObservation,
} from '../../../../src-main/transport/nat/nat-kind.js';

const seen = (destination: string, address: string, port: number, localPort: number, local = '192.168.1.2') =>
  ({ destination, address, port, local: { address: local, port: localPort } }) satisfies NatObservation;

test('one destination, or none, is unknown', () => {
  assert.equal(classifyNat([]).kind, 'unknown');
  assert.equal(classifyNat([seen('r1', '11.1.0.2', 4000, 4000)]).kind, 'unknown');
  // Two connections to one relay are one destination.
  assert.equal(
    classifyNat([seen('r1', '11.1.0.2', 4000, 4000), seen('r1', '11.1.0.2', 5000, 5000)]).kind,
    'unknown',
  );
  assert.equal(
    classifyNat([{ destination: 'r1', address: '1.2.3.4', port: 1, local: undefined }]).kind,
    'unknown',
  );
});

test('its own address and port everywhere is no NAT', () => {
  const v = classifyNat([
    seen('r1', '11.1.0.2', 4000, 4000, '11.1.0.2'),
    seen('r2', '11.1.0.2', 4100, 4100, '11.1.0.2'),
  ]);
  assert.equal(v.kind, 'none');
  assert.equal(v.publicAddress, '11.1.0.2');
});

test('the local port kept for two destinations is a port-preserving NAT', () => {
  const v = classifyNat([seen('r1', '11.1.0.2', 4000, 4000), seen('r2', '11.1.0.2', 4100, 4100)]);
  assert.equal(v.kind, 'preserves-port');
  assert.equal(v.publicAddress, '11.1.0.2');
});

test('another port per destination is a NAT that changes ports', () => {
  assert.equal(
    classifyNat([seen('r1', '11.1.0.2', 31000, 4000), seen('r2', '11.1.0.2', 52000, 4000)]).kind,
    'changes-port',
  );
  assert.equal(
    classifyNat([seen('r1', '11.1.0.2', 31000, 4000), seen('r2', '11.1.0.2', 52000, 4100)]).kind,
    'changes-port',
  );
  // Two public addresses (an address pool) cannot be predicted either.
  assert.equal(
    classifyNat([seen('r1', '11.1.0.2', 4000, 4000), seen('r2', '11.1.0.3', 4100, 4100)]).kind,
    'changes-port',
  );
});

test('kept for one destination and not another is unknown', () => {
  assert.equal(
    classifyNat([seen('r1', '11.1.0.2', 4000, 4000), seen('r2', '11.1.0.2', 52000, 4100)]).kind,
    'unknown',
  );
});

test('why relayed: a mapping or a public address on either side is a dial', () => {
  assert.equal(
    explainRelayed({ nat: 'changes-port', mapped: false }, { nat: 'changes-port', mapped: true }).chance,
    'dial',
  );
  assert.equal(
    explainRelayed({ nat: 'none', mapped: false }, { nat: 'changes-port', mapped: false }).chance,
    'dial',
  );
});

test('why relayed: both keeping ports can meet by simultaneous open', () => {
  assert.equal(
    explainRelayed({ nat: 'preserves-port', mapped: false }, { nat: 'preserves-port', mapped: false }).chance,
    'simultaneous-open',
  );
});

test('why relayed: a NAT that changes ports on either side, and no mapping, says a mapping would help', () => {
  for (const [a, b] of [
    ['changes-port', 'changes-port'],
    ['changes-port', 'preserves-port'],
    ['preserves-port', 'changes-port'],
  ] as const) {
    const e = explainRelayed({ nat: a, mapped: false }, { nat: b, mapped: false });
    assert.equal(e.chance, 'none');
    assert.match(e.why, /port mapping \(UPnP or NAT-PMP\) on either router would allow a direct link/);
  }
  assert.match(
    explainRelayed({ nat: 'changes-port', mapped: false }, { nat: 'preserves-port', mapped: false }).why,
    /^this node’s NAT changes/,
  );
});

test('why relayed: too little known says so', () => {
  assert.equal(
    explainRelayed({ nat: 'unknown', mapped: false }, { nat: 'preserves-port', mapped: false }).chance,
    'unknown',
  );
});

test('one destination leans: a kept port preserves, a changed port changes, own address is no NAT', () => {
  assert.equal(classifyNatLeaning([]).kind, 'unknown');
  assert.equal(classifyNatLeaning([seen('r1', '11.1.0.2', 4000, 4000)]).kind, 'preserves-port');
  assert.equal(classifyNatLeaning([seen('r1', '11.1.0.2', 51234, 4000)]).kind, 'changes-port');
  assert.match(classifyNatLeaning([seen('r1', '11.1.0.2', 51234, 4000)]).why, /one destination/);
  // Two destinations: classifyNat's verdict stands as it is.
  assert.deepEqual(
    classifyNatLeaning([seen('r1', '11.1.0.2', 4000, 4000), seen('r2', '11.1.0.2', 4001, 4001)]),
    classifyNat([seen('r1', '11.1.0.2', 4000, 4000), seen('r2', '11.1.0.2', 4001, 4001)]),
  );
});
