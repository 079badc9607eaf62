/**
 * forwardTo limits at the exit against DNS tricks, over the real tcp-connect service with a fake resolver
 * and a recording connect: the limit is checked against the addresses a name resolves to, the name is
 * resolved once, and the exit dials the checked address itself (the fake connect sends every dial to a
 * local echo server, so the test sees both where the exit meant to go and that bytes flow).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type TcpNetConnectOpts } from 'node:net';
import type { Duplex } from 'node:stream';
import { checkDestination, type LookupAll } from '../../../src-main/forwards/destination-check.js';
import { ConnectError } from '../../../src-main/forwards/dialer.js';
import { readAll } from '../mux/mux-fixtures.js';
import { echoServer, memoryExit } from './fixtures.js';

const echo = await echoServer(' bye');
after(() => echo.server.close());

/** A resolver that knows only `table` (anything else is ENOTFOUND) and counts its lookups. */
function fakeLookup(table: Record<string, string[]>): LookupAll & { calls: string[] } {
  const calls: string[] = [];
  const fn = (name: string) => {
    calls.push(name);
    const found = table[name.toLowerCase()];
    if (!found) {
      return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' }));
    }
    return Promise.resolve(found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  };
  return Object.assign(fn, { calls });
}

/** A connect that records the host:port the exit dialed and connects to the echo server instead. */
function recordingConnect(): {
  connect: (o: TcpNetConnectOpts) => ReturnType<typeof connect>;
  dialed: string[];
} {
  const dialed: string[] = [];
  return {
    dialed,
    connect: (o) => {
      dialed.push(`${o.host}:${o.port}`);
      return connect({ ...o, host: '127.0.0.1', port: echo.port });
    },
  };
}

const DNS = {
  '10.0.0.7.evil.test': ['127.0.0.1'],
  'metadata.evil.test': ['169.254.169.254'],
  'git.corp.example': ['10.1.2.3'],
  'lo.corp.example': ['127.0.0.1'],
  'meta.corp.example': ['169.254.169.254'],
  'v6lo.corp.example': ['::1'],
  'mapped.corp.example': ['::ffff:127.0.0.1'],
  'mixed.corp.example': ['127.0.0.1', '10.1.2.4'],
};

async function attempt(forwardTo: string[] | undefined, host: string, port: number) {
  const lookup = fakeLookup(DNS);
  const rec = recordingConnect();
  const exit = memoryExit({ forwardTo, lookup, connect: rec.connect });
  try {
    const stream: Duplex = await exit.dialer.connect('b', host, port);
    const all = readAll(stream);
    stream.resume();
    stream.end('ping');
    assert.equal((await all).toString(), 'ping bye');
    return { ok: true as const, dialed: rec.dialed, lookups: lookup.calls };
  } catch (err) {
    assert.ok(err instanceof ConnectError, String(err));
    return { ok: false as const, err, dialed: rec.dialed, lookups: lookup.calls };
  } finally {
    exit.close();
  }
}

test('10.0.0.*:22 refuses 10.0.0.7.evil.test (resolves to 127.0.0.1) and says why', async () => {
  const r = await attempt(['10.0.0.*:22'], '10.0.0.7.evil.test', 22);
  assert.equal(r.ok, false);
  assert.equal(r.ok || r.err.failure, 'not-allowed');
  assert.equal(
    r.ok || r.err.message,
    'b does not allow forwards from a to 10.0.0.7.evil.test:22, which resolves to 127.0.0.1 (loopback)',
  );
  assert.deepEqual(r.dialed, []);
  const meta = await attempt(['169.254.*:80', '10.0.0.*:22'], 'metadata.evil.test', 22);
  assert.equal(meta.ok, false);
  assert.deepEqual(meta.dialed, []);
});

test('10.0.0.*:22 allows the literal 10.0.0.7, dialed as is and without a lookup', async () => {
  const r = await attempt(['10.0.0.*:22'], '10.0.0.7', 22);
  assert.equal(r.ok, true);
  assert.deepEqual(r.dialed, ['10.0.0.7:22']);
  assert.deepEqual(r.lookups, []);
});

test('a name pattern: ordinary addresses pass and are what gets dialed; special ones are refused', async () => {
  const limits = ['*.corp.example:22'];
  const good = await attempt(limits, 'git.corp.example', 22);
  assert.equal(good.ok, true);
  assert.deepEqual(good.dialed, ['10.1.2.3:22']);
  assert.deepEqual(good.lookups, ['git.corp.example']);
  for (const name of ['lo.corp.example', 'meta.corp.example', 'v6lo.corp.example', 'mapped.corp.example']) {
    const r = await attempt(limits, name, 22);
    assert.equal(r.ok, false, name);
    assert.equal(r.ok || r.err.failure, 'not-allowed');
    assert.match(r.ok ? '' : r.err.message, /, which resolves to \S+ \((loopback|link-local)\)$/);
    assert.deepEqual(r.dialed, [], name);
  }
  const mixed = await attempt(limits, 'mixed.corp.example', 22);
  assert.equal(mixed.ok, true);
  assert.deepEqual(mixed.dialed, ['10.1.2.4:22']);
});

test('an explicit address pattern lets a name pattern reach that special address (that port only)', async () => {
  const limits = ['*.corp.example:*', '127.0.0.1:22'];
  const lo = await attempt(limits, 'lo.corp.example', 22);
  assert.equal(lo.ok, true);
  assert.deepEqual(lo.dialed, ['127.0.0.1:22']);
  const mapped = await attempt(limits, 'mapped.corp.example', 22);
  assert.deepEqual(mapped.dialed, ['::ffff:127.0.0.1:22']);
  assert.equal((await attempt(limits, 'lo.corp.example', 23)).ok, false);
  assert.equal((await attempt(limits, 'v6lo.corp.example', 22)).ok, false);
});

test('a name no pattern could allow is refused without asking DNS', async () => {
  const r = await attempt(['*.corp.example:22'], '10.0.0.7.evil.test', 22);
  assert.equal(r.ok || r.err.message, 'b does not allow forwards from a to 10.0.0.7.evil.test:22');
  assert.deepEqual(r.lookups, []);
});

test('no limits: any name, resolved once, its address dialed', async () => {
  const r = await attempt(undefined, '10.0.0.7.evil.test', 22);
  assert.equal(r.ok, true);
  assert.deepEqual(r.dialed, ['127.0.0.1:22']);
  assert.deepEqual(r.lookups, ['10.0.0.7.evil.test']);
  const gone = await attempt(undefined, 'nowhere.test', 22);
  assert.equal(gone.ok || gone.err.failure, 'host-not-found');
});

test('checkDestination: one lookup, only allowed addresses, what it resolved to when refused', async () => {
  const lookup = fakeLookup({ 'two.test': ['10.0.0.1', '127.0.0.1', '10.0.0.2'] });
  assert.deepEqual(await checkDestination(['10.0.0.*:1'], 'two.test', 1, lookup), {
    allowed: true,
    addresses: ['10.0.0.1', '10.0.0.2'],
  });
  assert.deepEqual(await checkDestination(['192.*:1'], 'two.test', 1, lookup), {
    allowed: false,
    resolvedTo: ['10.0.0.1', '127.0.0.1', '10.0.0.2'],
  });
  assert.deepEqual(lookup.calls, ['two.test', 'two.test']);
  const empty: LookupAll = () => Promise.resolve([]);
  await assert.rejects(checkDestination(undefined, 'x.test', 1, empty), { code: 'ENOTFOUND' });
});
