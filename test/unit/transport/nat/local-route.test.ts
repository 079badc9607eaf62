/**
 * Reading the default gateway NAT-PMP is sent to, from Linux's route table, macOS's `route get` and
 * Windows's `route print`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  defaultGatewayFromProcRoute,
  defaultGatewayFromRouteGet,
  defaultGatewayFromRoutePrint,
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

/** `route print -4 0.0.0.0` on an English Windows with Wi-Fi and a VPN, CRLF line ends. */
const ROUTE_PRINT = [
  '===========================================================================',
  'Interface List',
  ' 12...00 15 5d 01 02 03 ......Intel(R) Wi-Fi 6 AX201 160MHz',
  '  1...........................Software Loopback Interface 1',
  '===========================================================================',
  '',
  'IPv4 Route Table',
  '===========================================================================',
  'Active Routes:',
  'Network Destination        Netmask          Gateway       Interface  Metric',
  '          0.0.0.0          0.0.0.0         10.8.0.1       10.8.0.6    281',
  '          0.0.0.0          0.0.0.0      192.168.1.1    192.168.1.23     25',
  '===========================================================================',
  'Persistent Routes:',
  '  Network Address          Netmask  Gateway Address  Metric',
  '          0.0.0.0          0.0.0.0        10.0.0.254  Default',
  '===========================================================================',
  '',
].join('\r\n');

test("Windows's route print: the active default route with the lowest metric, whatever the language", () => {
  assert.equal(defaultGatewayFromRoutePrint(ROUTE_PRINT), '192.168.1.1');
  // German headings, the same rows.
  const german = ROUTE_PRINT.replace('Active Routes:', 'Aktive Routen:').replace(
    'Network Destination',
    'Netzwerkziel',
  );
  assert.equal(defaultGatewayFromRoutePrint(german), '192.168.1.1');
});

test('a default route that is on-link, only a persistent one, or none at all is no gateway', () => {
  const onLink = '          0.0.0.0          0.0.0.0         On-link    192.168.1.23     25\r\n';
  assert.equal(defaultGatewayFromRoutePrint(onLink), undefined);
  const persistentOnly = ROUTE_PRINT.split('\r\n')
    .filter((l) => !/ (281|25)$/.test(l))
    .join('\r\n');
  assert.equal(defaultGatewayFromRoutePrint(persistentOnly), undefined);
  assert.equal(defaultGatewayFromRoutePrint(''), undefined);
});
