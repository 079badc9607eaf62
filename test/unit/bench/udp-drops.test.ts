import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  cpuBoundRatio,
  dropsBetween,
  parseDeviceDrops,
  parseDevicePackets,
  parseProcNetUdp,
} from '../../../bench/udp-drops.js';

// Two sockets of /proc/net/udp as Linux prints them (ports 0x9C41 = 40001 and 0xD431 = 54321).
const PROC_NET_UDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  1: 0100007F:9C41 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 123 2 0000000000000000 17
  2: 0100007F:D431 0100007F:9C41 01 00000000:00000000 00:00000000 00000000     0        0 124 2 0000000000000000 0
`;
const PROC_NET_UDP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  3: 00000000000000000000000001000000:9C41 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 125 2 0000000000000000 3
`;

describe('parseProcNetUdp', () => {
  it('reads the drops of each socket by its local port', () => {
    assert.deepEqual(
      [...parseProcNetUdp(PROC_NET_UDP)],
      [
        [40001, 17],
        [54321, 0],
      ],
    );
    assert.deepEqual([...parseProcNetUdp(PROC_NET_UDP6)], [[40001, 3]]);
  });

  it('skips the header and lines it cannot read', () => {
    assert.equal(parseProcNetUdp('header only\n').size, 0);
    assert.equal(parseProcNetUdp('h\n  1: garbage\n\n').size, 0);
  });
});

describe('dropsBetween', () => {
  it('names the ports it knows, sums the others, and leaves out sockets that dropped nothing', () => {
    const before = new Map([
      [1, 10],
      [2, 5],
    ]);
    const after = new Map([
      [1, 25],
      [2, 5],
      [3, 4],
      [4, 1],
    ]);
    const names = new Map([[1, 'forward listener']]);
    assert.deepEqual(
      [...dropsBetween(before, after, names)],
      [
        ['forward listener', 15],
        ['other', 5],
      ],
    );
  });
});

describe('parseDeviceDrops', () => {
  // As `ip -j -s link show dev wg0` and `tc -j -s qdisc show dev wg0` print them (trimmed).
  const LINK = JSON.stringify([
    {
      ifname: 'wg0',
      stats64: {
        rx: { bytes: 1, packets: 2, errors: 0, dropped: 3 },
        tx: { bytes: 4, packets: 5, errors: 0, dropped: 9155 },
      },
    },
  ]);
  const QDISC = JSON.stringify([{ kind: 'fq_codel', handle: '0:', drops: 7, backlog: 0 }]);

  it("adds the device's receive and transmit drops and its qdiscs'", () => {
    assert.equal(parseDeviceDrops(LINK, QDISC), 3 + 9155 + 7);
    assert.equal(parseDeviceDrops(LINK, JSON.stringify([{ kind: 'noqueue', drops: 0 }])), 3 + 9155);
  });

  it("adds the device's received and transmitted packets, and says nothing without statistics", () => {
    assert.equal(parseDevicePackets(LINK), 2 + 5);
    assert.equal(parseDevicePackets(JSON.stringify([{ ifname: 'wg0' }])), null);
  });

  it('counts the device alone when the qdisc output is not JSON, and nothing without statistics', () => {
    assert.equal(parseDeviceDrops(LINK, 'qdisc noqueue 0: root refcnt 2'), 3 + 9155);
    assert.equal(parseDeviceDrops(JSON.stringify([{ ifname: 'wg0' }]), QDISC), null);
  });
});

describe('cpuBoundRatio', () => {
  it("is plain's CPU per packet over the path's, the agents' included", () => {
    // The bench's run of 99ca71e: plain 25.5 µs a packet; direct 28.1 + the agents' 27.6.
    assert.equal(cpuBoundRatio(25.5, 28.1, 27.6).toFixed(2), '0.46');
    assert.equal(cpuBoundRatio(20, 20, 0), 1);
  });

  it('is 0 when nothing was measured', () => {
    assert.equal(cpuBoundRatio(0, 28, 27), 0);
    assert.equal(cpuBoundRatio(25, 0, 0), 0);
  });
});
