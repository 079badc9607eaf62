/**
 * The NAT-PMP client (RFC 6886): its decoder takes only a well-formed answer to the request in flight and
 * drops the rest (short, wrong version or opcode, another port's mapping) without throwing; the client,
 * against a gateway on loopback, gets its answer through short and garbage datagrams from the gateway
 * and ignores whatever another socket sends it, and a refusal or silence ends it with a clean error.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, test } from 'node:test';
import {
  decodeNatPmpReply,
  encodeNatPmpRequest,
  natPmpRequest,
  type NatPmpRequest,
} from '../../../../src-main/transport/nat/nat-pmp.js';
import {
  NAT_PMP_JUNK,
  natPmpGateway,
  natPmpReply,
  startFakeUdp,
  type FakeUdp,
} from '../../../helpers/fake-router.js';

const MAP: NatPmpRequest = { op: 'map-tcp', internalPort: 7000, externalPort: 7000, lifetimeSeconds: 3600 };
const EXT: NatPmpRequest = { op: 'external-address' };
const fakes: FakeUdp[] = [];
after(() => Promise.all(fakes.map((f) => f.close())));

test('requests are the RFC bytes', () => {
  assert.deepEqual([...encodeNatPmpRequest(EXT)], [0, 0]);
  assert.deepEqual([...encodeNatPmpRequest(MAP)], [0, 2, 0, 0, 0x1b, 0x58, 0x1b, 0x58, 0, 0, 0x0e, 0x10]);
});

test('a well-formed answer is decoded', () => {
  assert.deepEqual(decodeNatPmpReply(natPmpReply({ op: 'external-address', address: '11.1.0.2' }), EXT), {
    kind: 'answer',
    answer: { kind: 'external-address', address: '11.1.0.2' },
  });
  const mapped = natPmpReply({ op: 'map', internalPort: 7000, externalPort: 40000, lifetime: 7200 });
  assert.deepEqual(decodeNatPmpReply(mapped, MAP), {
    kind: 'answer',
    answer: { kind: 'mapped', internalPort: 7000, externalPort: 40000, lifetimeSeconds: 7200 },
  });
});

test('short, wrong-version, wrong-opcode and other-port datagrams are dropped, not thrown', () => {
  for (const bytes of [...NAT_PMP_JUNK, Buffer.alloc(15, 0)]) {
    assert.equal(decodeNatPmpReply(bytes, MAP).kind, 'drop', bytes.toString('hex'));
  }
  for (const len of [0, 1, 2, 7, 8, 11]) {
    const b = natPmpReply({ op: 'external-address', address: '11.1.0.2' }).subarray(0, len);
    assert.equal(decodeNatPmpReply(b, EXT).kind, 'drop', `${len} bytes`);
  }
  const other = natPmpReply({ op: 'map', internalPort: 7001, externalPort: 7001, lifetime: 60 });
  assert.equal(decodeNatPmpReply(other, MAP).kind, 'drop');
  const v2 = natPmpReply({ op: 'external-address', address: '11.1.0.2' });
  v2[0] = 2;
  assert.deepEqual(decodeNatPmpReply(v2, EXT), { kind: 'drop', why: 'version 2' });
});

test('a refusal is the router refusing, named', () => {
  const b = natPmpReply({ op: 'map', internalPort: 7000, externalPort: 0, lifetime: 0 });
  b.writeUInt16BE(2, 2);
  const d = decodeNatPmpReply(b.subarray(0, 8), MAP);
  assert.equal(d.kind, 'refused');
  assert.ok(
    d.kind === 'refused' && /not authorized/.test(d.message),
    "d.kind === 'refused' && /not authorized/.test(d.message)",
  );
});

test('the client gets its answer through the gateway sending junk first', async () => {
  const gw = await startFakeUdp(
    '127.0.0.1',
    0,
    natPmpGateway('11.1.0.2', () => 41000, NAT_PMP_JUNK),
  );
  fakes.push(gw);
  let dropped = 0;
  const answer = await natPmpRequest('127.0.0.1', MAP, AbortSignal.timeout(5_000), {
    port: gw.port,
    onDrop: () => dropped++,
  });
  assert.deepEqual(answer, {
    kind: 'mapped',
    internalPort: 7000,
    externalPort: 41000,
    lifetimeSeconds: 3600,
  });
  assert.equal(dropped, NAT_PMP_JUNK.length);
});

test('what another socket sends the client is ignored; silence ends in a clean error', async () => {
  // A "gateway" that never answers; another local socket aims well-formed and junk answers at the client.
  const rogue = createSocket('udp4');
  await new Promise<void>((r) => rogue.bind(0, '127.0.0.1', r));
  const gw = await startFakeUdp('127.0.0.1', 0, (_bytes, from) => {
    for (const b of [...NAT_PMP_JUNK, natPmpReply({ op: 'external-address', address: '6.6.6.6' })])
      rogue.send(b, from.port, from.address);
    return [];
  });
  fakes.push(gw);
  try {
    await assert.rejects(
      natPmpRequest('127.0.0.1', EXT, AbortSignal.timeout(1_000), { port: gw.port }),
      /no NAT-PMP answer from 127\.0\.0\.1/,
    );
    assert.ok(gw.received.length >= 1, 'the request was sent');
  } finally {
    rogue.close();
  }
});

test('a refusing gateway ends the request with its reason', async () => {
  const gw = await startFakeUdp('127.0.0.1', 0, () => {
    const b = natPmpReply({ op: 'external-address', address: '0.0.0.0' });
    b.writeUInt16BE(3, 2);
    return [b];
  });
  fakes.push(gw);
  await assert.rejects(
    natPmpRequest('127.0.0.1', EXT, AbortSignal.timeout(5_000), { port: gw.port }),
    /the router refused: network failure/,
  );
});
