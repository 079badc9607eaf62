/** Reading the default gateway NAT-PMP is sent to, from Linux's route table and macOS's `route get`. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  defaultGatewayFromProcRoute,
  defaultGatewayFromRouteGet,
} from '../../../../src-main/transport/nat/local-route.js';

const PROC_ROUTE = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0
`;

test('the default route of /proc/net/route, little-endian hex', () => {
  assert.equal(defaultGatewayFromProcRoute(PROC_ROUTE), '192.168.1.1');
});

test('no default route, or one without a gateway (a point-to-point link), is no gateway', () => {
  assert.equal(defaultGatewayFromProcRoute(PROC_ROUTE.split('\n').slice(0, 2).join('\n')), undefined);
  assert.equal(
    defaultGatewayFromProcRoute('Iface\tDestination\tGateway\tFlags\ntun0\t00000000\t00000000\t0001\n'),
    undefined,
  );
  assert.equal(defaultGatewayFromProcRoute(''), undefined);
});

test("macOS's route get: the gateway line when it is an IPv4 address", () => {
  const out =
    '   route to: default\ndestination: default\n       mask: default\n    gateway: 192.168.0.1\n  interface: en0\n';
  assert.equal(defaultGatewayFromRouteGet(out), '192.168.0.1');
  assert.equal(defaultGatewayFromRouteGet('    gateway: link#12\n'), undefined);
});
