/**
 * The bench's emulated links cannot be bypassed: the serving side runs in its own network namespace
 * (bench/serving-netns.ts) and is reached only through the link emulator's door (bench/netns-door.ts).
 * Both directions: a client on the host reaches a server inside only through the emulator, and a
 * client inside reaches a server on the host only through a reverse emulator. Needs root and iproute2.
 */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { startChild, type BenchChild } from '../../bench/child.js';
import { startEmulatedLink, type EmulatedLink } from '../../bench/emulated-link.js';
import { symmetricLink } from '../../bench/link-shape.js';
import { createServingSide, type ServingSide } from '../../bench/serving-netns.js';
import { firstEcho, tcpStream } from '../../bench/streams.js';
import { serveBenchStream } from '../../bench/serve.js';
import { netnsUnavailable } from '../helpers/netns.js';

const skip = netnsUnavailable();
const spec = symmetricLink(100, 10, 1 << 20);
let serving: ServingSide;
let sink: BenchChild;
let sinkPort: number;
const links: EmulatedLink[] = [];

before(async () => {
  if (skip) return;
  serving = createServingSide();
  sink = startChild('../bench/peer-child.ts', [], serving.wrap);
  ({ port: sinkPort } = await sink.request<{ port: number }>('start', { kind: 'tcp' }));
});

after(async () => {
  if (skip) return;
  for (const l of links) await l.stop();
  await sink.stop();
  serving.destroy();
});

test('a server in the namespace answers through the emulator and not directly', { skip }, async () => {
  assert.ok(serving.netns, serving.reason ?? '');
  const link = await startEmulatedLink(spec, sinkPort, serving.netns);
  links.push(link);
  await link.ready('the sink');
  const t0 = performance.now();
  await firstEcho(() => tcpStream(link.port));
  // Connect + echo cross the emulated 10 ms RTT at least once.
  assert.ok(performance.now() - t0 >= 10, 'performance.now() - t0 >= 10');
  await assert.rejects(firstEcho(() => tcpStream(sinkPort)));
});

test(
  'a reverse emulator carries clients inside the namespace to a server on the host',
  { skip },
  async () => {
    const server = createServer((s) => serveBenchStream(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const hostPort = (server.address() as AddressInfo).port;
    try {
      const link = await startEmulatedLink(spec, hostPort, serving.netns, true);
      links.push(link);
      // From inside the namespace: through the door's port the host server answers, its own port does not.
      const probe = startChild('../test/helpers/netns-probe-child.ts', [], serving.wrap);
      try {
        assert.equal(await probe.request<boolean>('echo', { port: link.port }), true);
        assert.equal(await probe.request<boolean>('echo', { port: hostPort }), false);
      } finally {
        await probe.stop();
      }
    } finally {
      server.close();
    }
  },
);
