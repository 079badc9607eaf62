/**
 * The hop's caps (issue 52 F6; hop-service.ts): how many `hop` streams one predecessor may have here,
 * how many streams this node opens towards one next node for others' routes (the rest of that link's
 * budget stays its own), and how many `hop-arrive` handshakes one peer may have running. The next node
 * never answers here, so every stream the hop opens stays waiting, as a flood's would. The integration
 * test (test/integration/route-hop-abuse.test.ts) shows the effect with real agents.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_HOP_PIPES_PER_NEXT,
  MAX_HOP_PIPES_PER_PREDECESSOR,
  MAX_PENDING_ARRIVALS_PER_ORIGIN,
  MAX_PENDING_ARRIVALS_PER_PEER,
  registerHopServices,
} from '../../../src-main/routes/hop-service.js';
import { HOP_WORDS } from '../../../src-main/protocol/hop-wire.js';
import { ServiceRegistry } from '../../../src-main/services/services.js';
import type { StreamRequest } from '../../../src-main/mux/types.js';
import type { ActivePath, ReadonlyPeerEntry } from '../../../src-main/links/ports.js';
import type { PeerRecord } from '../../../src-main/state/settings.js';
import type { RefusalCode } from '../../../src-main/core/refusal-codes.js';
import type { MuxStream } from '../../../src-main/mux/stream.js';

const fp = (n: number) => n.toString(16).padStart(64, '0');
const SELF = fp(1000);
const NEXT = fp(999);

function world() {
  const services = new ServiceRegistry();
  const opened: string[] = [];
  const arrivals: Array<() => void> = [];
  const record = (f: string): PeerRecord => ({
    fingerprint: f,
    name: `n${f.slice(-3)}`,
    allow: ['relay'],
    addresses: [],
    addedAt: '2026-11-21T00:00:00.000Z',
  });
  registerHopServices(services, {
    selfFingerprint: SELF,
    peer: record,
    peerEntry: (f) => ({ fingerprint: f, record: record(f) }) as unknown as ReadonlyPeerEntry,
    activePath: () =>
      ({
        // The next node never answers: the stream waits, holding its slot.
        mux: {
          open: (service: string) => {
            opened.push(service);
            return new Promise<MuxStream>(() => undefined);
          },
        },
      }) as unknown as ActivePath,
    arrive: () => new Promise<void>((resolve) => arrivals.push(resolve)),
  });
  const refusals: Array<{ code: RefusalCode; reason: string }> = [];
  let accepted = 0;
  const request = (service: string, from: string, args: unknown) => {
    const req: StreamRequest = {
      service,
      args,
      signal: new AbortController().signal,
      accept: () => {
        accepted++;
        return {
          on: () => undefined,
          once: () => undefined,
          destroy: () => undefined,
        } as unknown as MuxStream;
      },
      reject: (code, reason) => void refusals.push({ code, reason }),
    };
    services.dispatch('self', { fingerprint: from, name: 'p', allow: ['relay'] }, req);
  };
  return { request, opened, refusals, arrivals, accepted: () => accepted };
}

const hop = (origin: string) => ({ v: 1, origin, to: NEXT, then: [] });

test('one predecessor has at most MAX_HOP_PIPES_PER_PREDECESSOR hop streams here', () => {
  const w = world();
  for (let i = 0; i < 100; i++) w.request('hop', fp(1), hop(fp(1)));
  assert.equal(w.opened.length, MAX_HOP_PIPES_PER_PREDECESSOR);
  assert.equal(w.refusals.length, 100 - MAX_HOP_PIPES_PER_PREDECESSOR);
  assert.ok(
    w.refusals.every((r) => r.code === 'TOO_MANY_STREAMS' && r.reason === HOP_WORDS.busy),
    "w.refusals.every((r) => r.code === 'TOO_MANY_STREAMS' && r.reason === HOP_WORDS.busy)",
  );
  // Another predecessor is not held up by the first one's flood.
  w.request('hop', fp(2), hop(fp(2)));
  assert.equal(w.opened.length, MAX_HOP_PIPES_PER_PREDECESSOR + 1);
});

test('all predecessors together open at most MAX_HOP_PIPES_PER_NEXT streams towards one next node', () => {
  const w = world();
  const predecessors = Math.ceil(MAX_HOP_PIPES_PER_NEXT / MAX_HOP_PIPES_PER_PREDECESSOR) + 2;
  for (let p = 1; p <= predecessors; p++) {
    for (let i = 0; i < MAX_HOP_PIPES_PER_PREDECESSOR; i++) w.request('hop', fp(p), hop(fp(p)));
  }
  assert.equal(w.opened.length, MAX_HOP_PIPES_PER_NEXT);
  assert.ok(MAX_HOP_PIPES_PER_NEXT <= 256, 'three quarters of a link stay for the node itself');
});

test('hop-arrive handshakes running here: MAX_PENDING_ARRIVALS_PER_ORIGIN per origin named, MAX_PENDING_ARRIVALS_PER_PEER in all', async () => {
  const w = world();
  for (let i = 0; i < 20; i++) w.request('hop-arrive', fp(1), { v: 1, from: fp(10) });
  assert.equal(w.accepted(), MAX_PENDING_ARRIVALS_PER_ORIGIN);
  assert.equal(w.refusals.length, 20 - MAX_PENDING_ARRIVALS_PER_ORIGIN);
  assert.ok(
    w.refusals.every((r) => r.code === 'TOO_MANY_STREAMS' && r.reason === HOP_WORDS.busy),
    "w.refusals.every((r) => r.code === 'TOO_MANY_STREAMS' && r.reason === HOP_WORDS.busy)",
  );
  // Other origins through the same peer still arrive, up to the peer's cap.
  for (let i = 0; i < 200; i++) w.request('hop-arrive', fp(1), { v: 1, from: fp(100 + i) });
  assert.equal(w.accepted(), MAX_PENDING_ARRIVALS_PER_PEER);
  // Another peer is not held up by the first one.
  w.request('hop-arrive', fp(2), { v: 1, from: fp(10) });
  assert.equal(w.accepted(), MAX_PENDING_ARRIVALS_PER_PEER + 1);
  // A handshake over gives its slots back.
  w.arrivals[0]!();
  await new Promise((r) => setImmediate(r));
  w.request('hop-arrive', fp(1), { v: 1, from: fp(10) });
  assert.equal(w.accepted(), MAX_PENDING_ARRIVALS_PER_PEER + 2);
});

test('hop-arrive accepts a fingerprint this node knows and one it does not alike', () => {
  const w = world();
  w.request('hop-arrive', fp(1), { v: 1, from: fp(2) });
  w.request('hop-arrive', fp(1), { v: 1, from: 'f'.repeat(64) });
  assert.equal(w.accepted(), 2);
  assert.deepEqual(w.refusals, []);
});
