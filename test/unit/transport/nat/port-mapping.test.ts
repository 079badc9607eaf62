/**
 * PortMapping on a fake clock against an in-memory router (a table of leases that lapse on that clock):
 * the mapping is in the router's table while it runs, outlives many lease lengths by renewing, survives
 * a failed renewal, is gone after stop, and with mapping off the router hears nothing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  MAPPING_RETRY_MS,
  PortMapping,
  type PortMappingStatus,
} from '../../../../src-main/transport/nat/port-mapping.js';
import type { GatewayFinder, MappingGateway } from '../../../../src-main/transport/nat/mapping-gateways.js';
import type { TimerHandle, Timers } from '../../../../src-main/transport/nat/timers.js';

class FakeClock implements Timers {
  private t = 1_000_000;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();
  private next = 1;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number): TimerHandle => {
    const id = this.next++;
    this.pending.set(id, { at: this.t + ms, fn });
    return id;
  };
  clearTimeout = (h: TimerHandle) => void this.pending.delete(h as number);
  /** Moves the clock forward, firing due timers in order, and lets their promises settle. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (let guard = 0; guard < 10_000; guard++) {
      const due = [...this.pending.entries()]
        .filter(([, p]) => p.at <= end)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.pending.delete(due[0]);
      this.t = due[1].at;
      due[1].fn();
      await settle();
    }
    this.t = end;
    await settle();
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

/**
 * A router's mapping table (by external port) on the fake clock; `down` makes it stop answering,
 * `grant` picks the external port it gives for the one asked, `address` is what it reports as its own.
 */
class FakeRouter {
  readonly table = new Map<number, { expiresAt: number; internalPort: number }>();
  requests = 0;
  down = false;
  grant = (asked: number) => asked;
  address = '11.1.0.2';
  constructor(private readonly clock: FakeClock) {}
  live(port: number): boolean {
    const m = this.table.get(port);
    return m !== undefined && m.expiresAt > this.clock.now();
  }
  gateway(): MappingGateway {
    return {
      protocol: 'upnp',
      router: '192.168.1.1',
      map: async (port, leaseSeconds) => {
        await Promise.resolve();
        this.requests++;
        if (this.down) throw new Error('no answer');
        const externalPort = this.grant(port);
        this.table.set(externalPort, {
          expiresAt: this.clock.now() + leaseSeconds * 1000,
          internalPort: port,
        });
        return { internalHost: '192.168.1.2', externalHost: this.address, externalPort };
      },
      unmap: async (internalPort, externalPort) => {
        await Promise.resolve();
        this.requests++;
        if (this.down) throw new Error('no answer');
        // As DeletePortMapping: by external port; one held for another internal port is refused.
        if (this.table.get(externalPort)?.internalPort !== internalPort) throw new Error('no such mapping');
        this.table.delete(externalPort);
      },
      close: () => Promise.resolve(),
    };
  }
  finder(): GatewayFinder {
    return {
      find: async () => {
        await Promise.resolve();
        this.requests++;
        return this.down ? [] : [this.gateway()];
      },
    };
  }
}

function setup(enabled = true) {
  const clock = new FakeClock();
  const router = new FakeRouter(clock);
  const seen: PortMappingStatus[] = [];
  const mapping = new PortMapping({
    enabled,
    internalPort: 7000,
    finder: router.finder(),
    timers: clock,
    leaseSeconds: 3600,
    onChange: (s) => seen.push(s),
  });
  return { clock, router, mapping, seen };
}

test('the mapping is made, reported, and stays on the router across many leases by renewing', async () => {
  const { clock, router, mapping } = setup();
  mapping.start();
  await settle();
  const s = mapping.status;
  assert.equal(s.state, 'mapped');
  assert.ok(s.state === 'mapped', "s.state === 'mapped'");
  assert.deepEqual(s.external, { host: '11.1.0.2', port: 7000 });
  assert.equal(s.protocol, 'upnp');
  assert.equal(s.expiresAt, clock.now() + 3_600_000);
  for (let hour = 0; hour < 5; hour++) {
    await clock.advance(3_600_000);
    assert.ok(router.live(7000), `lapsed in hour ${hour + 1}`);
  }
  await mapping.stop();
  assert.equal(router.table.size, 0);
  assert.equal(mapping.status.state, 'stopped');
});

test('a failed renewal is retried before the lease ends and the mapping never lapses', async () => {
  const { clock, router, mapping } = setup();
  mapping.start();
  await settle();
  router.down = true;
  await clock.advance(1_800_000 + 1);
  const s = mapping.status;
  assert.equal(s.state, 'mapped');
  assert.ok(
    s.state === 'mapped' && s.renewError?.code === 'PORT_MAPPING_FAILED',
    "s.state === 'mapped' && s.renewError?.code === 'PORT_MAPPING_FAILED'",
  );
  router.down = false;
  await clock.advance(60_000);
  assert.ok(router.live(7000), 'router.live(7000)');
  await clock.advance(3_000_000);
  assert.ok(router.live(7000), 'lapsed after the router came back');
  await mapping.stop();
});

test('with no router the state says so, as data, and it asks again later', async () => {
  const { clock, router, mapping } = setup();
  router.down = true;
  mapping.start();
  await settle();
  const s = mapping.status;
  assert.equal(s.state, 'failed');
  assert.ok(s.state === 'failed', "s.state === 'failed'");
  assert.equal(s.error.code, 'PORT_MAPPING_FAILED');
  assert.match(s.error.message, /no router on the LAN answered/);
  router.down = false;
  await clock.advance(MAPPING_RETRY_MS);
  assert.equal(mapping.status.state, 'mapped');
  assert.ok(router.live(7000), 'router.live(7000)');
  await mapping.stop();
  assert.equal(router.table.size, 0);
});

test('with mapping off nothing is sent, ever', async () => {
  const { clock, router, mapping, seen } = setup(false);
  mapping.start();
  await clock.advance(10 * 3_600_000);
  await mapping.stop();
  assert.equal(router.requests, 0);
  assert.equal(mapping.status.state, 'off');
  assert.deepEqual(seen, []);
});

test('stop during discovery leaves nothing on the router', async () => {
  const clock = new FakeClock();
  const router = new FakeRouter(clock);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const mapping = new PortMapping({
    enabled: true,
    internalPort: 7000,
    timers: clock,
    finder: {
      find: async () => {
        await gate;
        return [router.gateway()];
      },
    },
  });
  mapping.start();
  await settle();
  const stopped = mapping.stop();
  release();
  await stopped;
  assert.equal(router.table.size, 0);
  assert.equal(mapping.status.state, 'stopped');
});

test('stop removes the mapping the router granted when it granted another external port', async () => {
  const { router, mapping } = setup();
  router.grant = () => 40_022;
  mapping.start();
  await settle();
  const s = mapping.status;
  assert.ok(s.state === 'mapped', JSON.stringify(s));
  assert.deepEqual(s.external, { host: '11.1.0.2', port: 40_022 });
  assert.ok(router.live(40_022), 'router.live(40_022)');
  await mapping.stop();
  assert.deepEqual([...router.table.keys()], [], 'the granted mapping is left on the router');
});

for (const address of ['127.0.0.1', '192.168.0.1', '100.64.1.2', '0.0.0.0', '', 'not-an-address']) {
  test(`a router reporting ${JSON.stringify(address)} as its address: mapped, and status says why it is not told`, async () => {
    const { router, mapping } = setup();
    router.address = address;
    mapping.start();
    await settle();
    const s = mapping.status;
    assert.ok(s.state === 'mapped', JSON.stringify(s));
    assert.match(s.unannounced ?? '', /^the router reports .+: .+/);
    assert.ok(
      s.unannounced?.includes(JSON.stringify(address)),
      's.unannounced?.includes(JSON.stringify(address))',
    );
    await mapping.stop();
  });
}

test('a public address the router reports is announced (no reason given)', async () => {
  const { mapping } = setup();
  mapping.start();
  await settle();
  const s = mapping.status;
  assert.ok(s.state === 'mapped' && s.unannounced === undefined, JSON.stringify(s));
  await mapping.stop();
});
