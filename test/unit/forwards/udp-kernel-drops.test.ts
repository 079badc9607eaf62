/**
 * Reading a UDP socket's kernel drops from /proc/net/udp{,6} (forwards/udp-kernel-drops.ts): addresses
 * as the kernel prints them, lines it cannot read skipped, and a real socket's drops on Linux.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import fc from 'fast-check';
import {
  addressBytes,
  dropsOf,
  parseProcUdp,
  procAddressHex,
  readKernelDrops,
} from '../../../src-main/forwards/udp-kernel-drops.js';

const HEADER =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops';
const line = (local: string, drops: number) =>
  `  42: ${local} 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4724946 2 0000000000000000 ${drops}`;

test('addresses as /proc prints them (little-endian words)', () => {
  assert.equal(procAddressHex('127.0.0.1', 'LE'), '0100007F');
  assert.equal(procAddressHex('127.0.0.1', 'BE'), '7F000001');
  assert.equal(procAddressHex('0.0.0.0', 'LE'), '00000000');
  assert.equal(procAddressHex('::1', 'LE'), '00000000000000000000000001000000');
  assert.equal(procAddressHex('::ffff:127.0.0.1', 'LE'), '0000000000000000FFFF00000100007F');
  assert.equal(procAddressHex('fe80::1%lo', 'LE'), '000080FE000000000000000001000000');
  assert.equal(procAddressHex('not an address'), null);
});

test('the drops of the socket on that address and port, not of others', () => {
  const text = [
    HEADER,
    line('0100007F:A029', 17),
    line('0200007F:A029', 5),
    line('0100007F:A02A', 9),
    'garbage',
    '',
  ].join('\n');
  const sockets = parseProcUdp(text);
  assert.equal(sockets.length, 3);
  assert.equal(dropsOf(sockets, '127.0.0.1', 0xa029), procAddressHex('127.0.0.1') === '0100007F' ? 17 : null);
  assert.equal(dropsOf(sockets, '127.0.0.9', 0xa029), null);
});

test('property: any IPv4 or IPv6 address and port, printed as /proc does, is found with its drops', () => {
  const v6 = fc
    .array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 })
    .map((w) => w.map((x) => x.toString(16)).join(':'));
  fc.assert(
    fc.property(
      fc.oneof(fc.ipV4(), v6, fc.ipV6()),
      fc.integer({ min: 1, max: 65535 }),
      fc.nat(),
      (address, port, drops) => {
        const bytes = addressBytes(address);
        assert.ok(bytes, address);
        assert.equal(bytes.length, address.includes(':') ? 16 : 4);
        const hex = procAddressHex(address)!;
        const local = `${hex}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
        const sockets = parseProcUdp([HEADER, line(local, drops)].join('\n'));
        assert.equal(dropsOf(sockets, address, port), drops);
      },
    ),
  );
});

test('property: the parser takes any text without throwing, and reads only whole lines', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 400 }), (text) => {
      for (const s of parseProcUdp(text)) {
        assert.ok(
          Number.isSafeInteger(s.drops) && s.drops >= 0,
          'Number.isSafeInteger(s.drops) && s.drops >= 0',
        );
        assert.ok(s.port >= 0 && s.port <= 65535, 's.port >= 0 && s.port <= 65535');
      }
    }),
  );
});

test(
  'a real socket is found, with no drops yet (Linux)',
  { skip: process.platform !== 'linux' },
  async () => {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    try {
      assert.equal(readKernelDrops('127.0.0.1', s.address().port), 0);
      assert.equal(readKernelDrops('127.0.0.1', 1), null);
    } finally {
      s.close();
    }
  },
);
