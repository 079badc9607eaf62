/**
 * The UPnP clients against servers on loopback: the SSDP search follows one answer per responder and a
 * bounded number of responders, and never a LOCATION on loopback unless told to allow it; an HTTP
 * exchange with a router is cut off past its cap, past its deadline, or when aborted, and its connection
 * is closed each time; the whole finder maps on a fake IGD and removes the port the router granted.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { after, test } from 'node:test';
import { boundedHttp, ROUTER_BODY_LIMIT_BYTES } from '../../../../src-main/transport/nat/bounded-http.js';
import { lanGatewayFinder } from '../../../../src-main/transport/nat/mapping-gateways.js';
import { searchGateways, SSDP_MAX_RESPONDERS } from '../../../../src-main/transport/nat/ssdp.js';
import {
  natPmpGateway,
  NAT_PMP_JUNK,
  ssdpAnswer,
  startFakeIgd,
  startFakeUdp,
  startHostileHttp,
  type FakeUdp,
} from '../../../helpers/fake-router.js';
import { until } from '../../../helpers/wait.js';

const closers: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c();
});

async function udpOn(host: string): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, host, r));
  closers.push(() => void s.close());
  return s;
}

/** An SSDP "group" on loopback: each M-SEARCH makes `answer` send what it likes, from any socket. */
async function ssdpGroup(answer: (port: number) => void): Promise<FakeUdp> {
  let answered = false;
  const group = await startFakeUdp('127.0.0.1', 0, (_b, from) => {
    // The client sends one M-SEARCH per IGD version, twice: the answers go out once.
    if (!answered) answer(from.port);
    answered = true;
    return [];
  });
  closers.push(() => group.close());
  return group;
}

const allowAll = () => true;

test('3,000 answers with fresh USNs from one responder: one description is followed', async () => {
  const group = await ssdpGroup((port) => {
    for (let i = 0; i < 3000; i++)
      group.socket.send(ssdpAnswer(`http://127.0.0.1:9/d${i}.xml`, `uuid:${i}`), port, '127.0.0.1');
  });
  const followed: string[] = [];
  let dropped = 0;
  await searchGateways(AbortSignal.timeout(1_500), (url) => followed.push(url.href), {
    target: { address: '127.0.0.1', port: group.port },
    allowHost: allowAll,
    onDrop: () => dropped++,
  });
  assert.equal(followed.length, 1);
  assert.ok(dropped > 0, 'the others were not counted as dropped');
});

test('answers from many responders: a bounded number are followed', async () => {
  const senders = await Promise.all(Array.from({ length: 10 }, (_, i) => udpOn(`127.0.0.${i + 2}`)));
  const group = await ssdpGroup((port) =>
    senders.forEach((s, i) => s.send(ssdpAnswer(`http://127.0.0.${i + 2}:9/d.xml`), port, '127.0.0.1')),
  );
  const followed = new Set<string>();
  await searchGateways(AbortSignal.timeout(1_500), (_url, responder) => followed.add(responder), {
    target: { address: '127.0.0.1', port: group.port },
    allowHost: allowAll,
  });
  assert.equal(followed.size, SSDP_MAX_RESPONDERS);
});

test('a LOCATION on loopback, or on another host than the responder, is never followed', async () => {
  const group = await ssdpGroup((port) => {
    for (const location of [
      'http://127.0.0.1:8080/internal-admin',
      'http://192.168.1.1:5000/d.xml',
      'http://11.0.0.1/x',
    ])
      group.socket.send(ssdpAnswer(location), port, '127.0.0.1');
  });
  const followed: string[] = [];
  let dropped = 0;
  await searchGateways(AbortSignal.timeout(1_000), (url) => followed.push(url.href), {
    target: { address: '127.0.0.1', port: group.port },
    onDrop: () => dropped++,
  });
  assert.deepEqual(followed, []);
  assert.equal(dropped, 3);
});

test('an endless body is cut off at the cap and its connection closed', async () => {
  const server = await startHostileHttp('127.0.0.1', 'endless');
  closers.push(() => server.close());
  await assert.rejects(
    boundedHttp({
      url: new URL(`http://127.0.0.1:${server.port}/d.xml`),
      method: 'GET',
      signal: AbortSignal.timeout(10_000),
      timeoutMs: 10_000,
    }),
    new RegExp(`larger than ${ROUTER_BODY_LIMIT_BYTES} bytes`),
  );
  await until('the connection closed', () => server.open() === 0, 5_000);
});

test('a trickling body is cut off at its deadline, an aborted one at once; both connections closed', async () => {
  const server = await startHostileHttp('127.0.0.1', 'slow');
  closers.push(() => server.close());
  const url = new URL(`http://127.0.0.1:${server.port}/d.xml`);
  await assert.rejects(
    boundedHttp({ url, method: 'GET', signal: new AbortController().signal, timeoutMs: 300 }),
    /no complete answer within 300 ms/,
  );
  const abort = new AbortController();
  const pending = boundedHttp({ url, method: 'GET', signal: abort.signal, timeoutMs: 60_000 });
  await until('the request arrived', () => server.requests.length === 2, 5_000);
  abort.abort(new Error('discovery ended'));
  await assert.rejects(pending, /discovery ended/);
  await until('both connections closed', () => server.open() === 0, 5_000);
});

test('the finder maps on an IGD v2 and stop removes the port the router granted', async () => {
  const igd = await startFakeIgd({ host: '127.0.0.1', externalAddress: '11.1.0.2', grant: () => 40022 });
  closers.push(() => igd.close());
  const group = await ssdpGroup((port) => group.socket.send(ssdpAnswer(igd.location), port, '127.0.0.1'));
  const finder = lanGatewayFinder({
    protocols: ['upnp'],
    ssdpTarget: { address: '127.0.0.1', port: group.port },
    allowHost: allowAll,
  });
  const [gateway] = await finder.find(AbortSignal.timeout(3_000));
  assert.ok(gateway, 'no gateway found');
  assert.equal(gateway.router, '127.0.0.1');
  const granted = await gateway.map(7000, 3600, AbortSignal.timeout(5_000));
  assert.deepEqual(granted, { internalHost: '127.0.0.1', externalHost: '11.1.0.2', externalPort: 40022 });
  await gateway.unmap(7000, granted.externalPort, AbortSignal.timeout(5_000));
  const add = igd.calls.find((c) => c.action === 'AddAnyPortMapping');
  assert.equal(add?.args.NewExternalPort, '7000');
  assert.equal(add?.args.NewLeaseDuration, '3600');
  const del = igd.calls.find((c) => c.action === 'DeletePortMapping');
  assert.deepEqual(del?.args, { NewRemoteHost: '', NewExternalPort: '40022', NewProtocol: 'TCP' });
});

test('the finder maps by NAT-PMP through junk from the gateway and removes the mapping', async () => {
  const gw = await startFakeUdp(
    '127.0.0.1',
    0,
    natPmpGateway('11.1.0.2', () => 40022, NAT_PMP_JUNK),
  );
  closers.push(() => gw.close());
  const finder = lanGatewayFinder({
    protocols: ['nat-pmp'],
    natPmpPort: gw.port,
    gateway: () => Promise.resolve('127.0.0.1'),
  });
  const [gateway] = await finder.find(AbortSignal.timeout(3_000));
  assert.ok(gateway, 'gateway');
  const granted = await gateway.map(7000, 3600, AbortSignal.timeout(5_000));
  assert.deepEqual(granted, { internalHost: '127.0.0.1', externalHost: '11.1.0.2', externalPort: 40022 });
  await gateway.unmap(7000, 40022, AbortSignal.timeout(5_000));
  const last = gw.received.at(-1)!.bytes;
  assert.deepEqual([...last], [0, 2, 0, 0, 0x1b, 0x58, 0, 0, 0, 0, 0, 0], 'the removal (lifetime 0)');
  assert.ok(finder.dropped >= NAT_PMP_JUNK.length * 3, `dropped ${finder.dropped}`);
});
