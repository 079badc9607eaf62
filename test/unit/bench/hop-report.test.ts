import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DIRECT_TURN,
  keyPasses,
  parseTcpdumpLine,
  passLines,
  portOwners,
  ROUTE_PASSES,
  ROUTE_TOTAL,
  type Segment,
} from '../../../bench/hop-report.js';

test('tcpdump lines: a segment with payload, not a bare ACK or another protocol', () => {
  assert.deepEqual(
    parseTcpdumpLine(
      '1764075913.299610 IP 127.0.0.1.41234 > 127.0.0.1.40001: Flags [P.], seq 1:66, ack 1, win 512, options [nop,nop,TS val 1 ecr 2], length 65',
    ),
    { t: 1764075913299.61, srcPort: 41234, dstPort: 40001, length: 65 },
  );
  assert.equal(
    parseTcpdumpLine(
      '1764075913.299700 IP 127.0.0.1.40001 > 127.0.0.1.41234: Flags [.], ack 66, win 512, length 0',
    ),
    null,
  );
  assert.equal(parseTcpdumpLine('1764075913.2 ARP, Request who-has 10.0.0.1'), null);
  assert.equal(
    parseTcpdumpLine('1.5 IP6 ::1.5000 > ::1.6000: Flags [P.], seq 1:4, ack 1, win 1, length 3')?.dstPort,
    6000,
  );
});

/** Ports: a 1, b 2 (to a) and 3 (to c), c 4 (to b) and 5 (to d), d 6. */
const owner = new Map([
  [1, 'a'],
  [2, 'b'],
  [3, 'b'],
  [4, 'c'],
  [5, 'c'],
  [6, 'd'],
]);
const seg = (t: number, src: number, dst: number): Segment => ({ t, srcPort: src, dstPort: dst, length: 65 });

const routed = (at: number, echoMs: number) => ({ routed: true, at, echoMs });

test('a routed key: each hop’s pass is the time from the segment it got to the one it sent', () => {
  const key = [seg(0, 1, 2), seg(0.8, 3, 4), seg(1.4, 5, 6), seg(3.6, 6, 5), seg(4.2, 4, 3), seg(4.7, 2, 1)];
  const passes = keyPasses(key, owner, [routed(-0.1, 5)]);
  const got = ROUTE_PASSES.map((n) => Number(passes.get(n)![0]!.toFixed(3)));
  assert.deepEqual(got, [0.8, 0.6, 2.2, 0.6, 0.5]);
  assert.deepEqual(passes.get(ROUTE_TOTAL), [4.7]);
  assert.equal(passes.get(DIRECT_TURN), undefined);
});

test('only segments inside a key’s window count: a heartbeat just before it and an acknowledgement after are not its steps', () => {
  const heartbeat = [seg(-3, 1, 2), seg(-2.5, 3, 4), seg(-2, 4, 3), seg(-1.5, 2, 1)];
  const key = [seg(0, 1, 2), seg(1, 3, 4), seg(2, 5, 6), seg(4, 6, 5), seg(5, 4, 3), seg(6, 2, 1)];
  const ack = [seg(16, 6, 5), seg(16.5, 4, 3), seg(17, 2, 1)];
  const passes = keyPasses([...heartbeat, ...key, ...ack], owner, [routed(-0.2, 6.3)]);
  assert.deepEqual(passes.get(ROUTE_TOTAL), [6]);
  assert.deepEqual(passes.get(ROUTE_PASSES[0]), [1]);
});

test('a direct key, among routed ones, in any capture order', () => {
  const direct = [seg(100, 1, 2), seg(100.5, 3, 4), seg(102, 2, 1)];
  const key = [seg(0, 1, 2), seg(1, 3, 4), seg(2, 5, 6), seg(4, 6, 5), seg(5, 4, 3), seg(6, 2, 1)];
  const passes = keyPasses([...direct, ...key].reverse(), owner, [
    routed(0, 6),
    { routed: false, at: 99.9, echoMs: 2.2 },
  ]);
  assert.deepEqual(passes.get(DIRECT_TURN), [2]);
  assert.deepEqual(passes.get(ROUTE_TOTAL), [6]);
  assert.match(passLines(passes).join('\n'), /direct: b key in → echo out.*2\.00 \/ 2\.00 ms {2}\(1 keys\)/);
});

test('a key whose capture lacks a step is skipped, not half counted', () => {
  const passes = keyPasses([seg(0, 1, 2), seg(1, 3, 4), seg(2, 5, 6)], owner, [routed(0, 10)]);
  assert.equal(passes.get(ROUTE_TOTAL), undefined);
  assert.equal(passes.get(ROUTE_PASSES[0]), undefined);
});

test('ss output: each local port of the named processes, nothing else', () => {
  const ss = [
    'ESTAB 0 0 127.0.0.1:45693 127.0.0.1:39077 users:(("node",pid=30843,fd=21))',
    'ESTAB 0 0 127.0.0.1:39077 127.0.0.1:45693 users:(("node",pid=30844,fd=22))',
    'ESTAB 0 0 127.0.0.1:22 127.0.0.1:5555 users:(("sshd",pid=1,fd=3))',
  ].join('\n');
  const names = new Map([
    [30843, 'a'],
    [30844, 'b'],
  ]);
  assert.deepEqual(
    [...portOwners(ss, names)],
    [
      [45693, 'a'],
      [39077, 'b'],
    ],
  );
});
