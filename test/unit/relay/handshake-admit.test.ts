/**
 * Whether a new WebSocket may try to authenticate (relay/handshake.ts admit): an address over its
 * connections is refused without spending an attempt, one out of attempts is rate-limited, a full
 * relay refuses with RELAY_FULL before any CHALLENGE, and a relay that takes a node again says it has room.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { DEFAULT_RELAY_LIMITS } from '../../../src-main/protocol/relay-limits.js';
import { RelayCloseCode } from '../../../src-main/protocol/relay-close-codes.js';
import type { FullReason } from '../../../src-main/relay/capacity.js';
import { RelayHandshake } from '../../../src-main/relay/handshake.js';
import { IpLimiter } from '../../../src-main/relay/ip-limits.js';
import { RelayMetrics } from '../../../src-main/relay/metrics.js';
import { fakeClock } from '../../helpers/fake-clock.js';

function handshake(attemptsPerMinute: number) {
  const clock = fakeClock(1_000_000);
  const zero = () => 0;
  const metrics = new RelayMetrics({
    connections: zero,
    nodes: zero,
    circuits: zero,
    splices: zero,
    countPiped: () => undefined,
    nodeCapacity: zero,
    openFds: zero,
  });
  const ips = new IpLimiter(
    { connectionsPerIp: 8, authAttemptsPerMinute: attemptsPerMinute, splicesPerIp: 8 },
    clock.now,
  );
  const room = { refusal: undefined as FullReason | undefined };
  const full = { refused: [] as FullReason[], taken: 0 };
  const h = new RelayHandshake({
    limits: DEFAULT_RELAY_LIMITS,
    token: undefined,
    authorize: undefined,
    log: pino({ level: 'silent' }),
    metrics,
    ips,
    capacity: { refusal: () => room.refusal },
    full: { refused: (r) => void full.refused.push(r), taken: () => void full.taken++ },
    router: { register: () => undefined, nodes: new Map() },
    drop: () => undefined,
    authenticated: () => undefined,
  });
  return { h, room, full, metrics };
}

test('admit: attempts within the rate pass; past it AUTH_RATE_LIMITED; over connections TOO_MANY_CONNECTIONS without spending one', async () => {
  const { h, full, metrics } = handshake(2);
  assert.equal(
    h.admit('10.0.0.1', 'TOO_MANY_CONNECTIONS')?.code,
    RelayCloseCode.TOO_MANY_CONNECTIONS,
    'over its connections',
  );
  assert.equal(
    h.admit('10.0.0.1', undefined),
    undefined,
    'first attempt: the one over-limit refusal spent none',
  );
  assert.equal(h.admit('10.0.0.1', undefined), undefined, 'second attempt');
  assert.equal(h.admit('10.0.0.1', undefined)?.code, RelayCloseCode.AUTH_RATE_LIMITED, 'third: rate-limited');
  assert.equal(h.admit('10.0.0.2', undefined), undefined, 'another address has its own bucket');
  assert.equal(full.taken, 3, 'each node taken tells the full log');
  const text = (await metrics.scrape()).body;
  assert.match(text, /reason="auth_rate_limited"} 1/, 'the rate-limited refusal is counted');
  assert.match(text, /reason="too_many_connections"} 1/, 'the over-limit refusal is counted');
});

test('admit: a full relay refuses with RELAY_FULL and its reason, and tells the full log', () => {
  const { h, room, full } = handshake(100);
  room.refusal = 'memory';
  const refused = h.admit('10.0.0.1', undefined);
  assert.equal(refused?.code, RelayCloseCode.RELAY_FULL, 'refused as full');
  assert.match(refused?.reason ?? '', /\(memory\)$/, 'with why');
  assert.deepEqual(full.refused, ['memory'], 'counted by the full log');
  assert.equal(full.taken, 0, 'not taken');
  room.refusal = undefined;
  assert.equal(h.admit('10.0.0.1', undefined), undefined, 'taken once there is room');
  assert.equal(full.taken, 1, 'and the full log hears of it');
});
