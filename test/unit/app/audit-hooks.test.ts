/**
 * Where audit events come from (app/audit-hooks.ts): the node state's peer, permission and block
 * changes, approvals' decisions, pairing steps, refused streams, and the connection table's opened
 * and ended connections (terminals as start/end, the others as one summary with bytes and path).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auditNode } from '../../../src-main/app/audit-hooks.js';
import type { AuditInput } from '../../../src-main/audit/audit-events.js';
import { ServiceRegistry } from '../../../src-main/services/services.js';
import { ConnectionTable } from '../../../src-main/connections/connection-table.js';
import { PairingProgress } from '../../../src-main/pairing/pairing-progress.js';
import { Emitter } from '../../../src-main/core/emitter.js';
import type { Decision } from '../../../src-main/pairing/approvals.js';
import type { StreamRequest } from '../../../src-main/mux/types.js';
import { memoryState } from '../../helpers/memory-state.js';
import { agentContract } from '../../helpers/agent-contract.js';

const fp = 'a1'.repeat(32);

function setup() {
  const events: AuditInput[] = [];
  const { state } = memoryState();
  const approvals = { events: new Emitter<{ decision: [Decision] }>() };
  const progress = new PairingProgress('f'.repeat(64));
  const services = new ServiceRegistry();
  let now = 1_000;
  const connections = new ConnectionTable(() => now);
  const off = auditNode(
    { record: (e) => events.push(e) },
    {
      state,
      approvals,
      progress,
      services,
      connections,
      pathOf: (f) => (f === fp ? { path: 'relay', address: 'wss://relay.example' } : undefined),
      sessions: agentContract.sessions,
    },
  );
  return {
    events,
    state,
    approvals,
    progress,
    services,
    connections,
    off,
    tick: (ms: number) => (now += ms),
  };
}

test('peer added, permission changed, renamed, removed (and so blocked) are recorded', () => {
  const { events, state } = setup();
  state.addPeer({
    fingerprint: fp,
    name: 'laptop',
    allow: ['terminal', 'forward'],
    addresses: [],
    addedAt: '2026-11-21T00:00:00.000Z',
  });
  state.setPermissions(fp, ['forward']);
  state.rename(fp, 'old-laptop');
  state.removePeer(fp);
  assert.deepEqual(
    events.map((e) => [e.kind, 'change' in e ? e.change : '', e.peer?.name ?? '', e.what]),
    [
      ['peer', 'added', 'laptop', 'allowed: terminal, forward'],
      ['permission', '', 'laptop', 'allowed: forward'],
      ['peer', 'renamed', 'old-laptop', 'renamed from laptop'],
      ['peer', 'removed', 'old-laptop', 'peer'],
      ['peer', 'blocked', '?', 'refused from now on'],
    ],
  );
  const perm = events[1]!;
  assert.ok(perm.kind === 'permission', "perm.kind === 'permission'");
  assert.deepEqual([perm.before, perm.after], [['terminal', 'forward'], ['forward']]);
});

test('a decision is an approval event; a refused stream names its service, path and reason', () => {
  const { events, approvals, services } = setup();
  const record = {
    id: 'r1',
    fingerprint: fp,
    name: 'laptop',
    via: 'code' as const,
    address: '192.0.2.1:7443',
    addresses: [],
    firstSeen: '2026-01-01T00:00:00.000Z',
    lastSeen: '2026-01-01T00:00:00.000Z',
  };
  approvals.events.emit('decision', { approved: false, record });
  services.register('terminal', {
    permission: 'terminal',
    noun: 'terminals',
    admits: 'session',
    kind: 'terminal-served',
    handle: () => assert.fail(),
  });
  const req: StreamRequest = {
    service: 'terminal',
    args: {},
    accept: assert.fail,
    reject: () => undefined,
    signal: new AbortController().signal,
  };
  services.dispatch(
    'b',
    { fingerprint: fp, name: 'laptop', allow: [], via: { path: 'direct', address: '192.0.2.1:7443' } },
    req,
  );
  assert.deepEqual(
    events.map((e) => [e.kind, e.outcome, e.path ?? '', e.address ?? '', e.peer?.fingerprint]),
    [
      ['approval', 'refused', '', '192.0.2.1:7443', fp],
      ['refused', 'refused', 'direct', '192.0.2.1:7443', fp],
    ],
  );
  assert.match(events[1]!.reason ?? '', /does not allow terminals from laptop/);
});

test('connections: terminals start and end, others one summary with bytes, duration and path', () => {
  const { events, connections, tick } = setup();
  const peer = { name: 'laptop', fingerprint: fp };
  const term = connections.open({
    kind: 'terminal-served',
    peer,
    from: 'laptop',
    to: 'shell',
    close: () => {},
  });
  const fwd = connections.open({
    kind: 'forward',
    peer,
    from: '127.0.0.1:5000',
    to: 'web:80',
    close: () => {},
  });
  fwd.bytesIn(300);
  fwd.bytesOut(20);
  tick(1500);
  fwd.end();
  term.bytesOut(5);
  connections.close(term.id, 'closed by the owner of this node');
  assert.deepEqual(
    events.map((e) => [e.kind, 'phase' in e ? e.phase : '', e.path, e.what]),
    [
      ['terminal', 'start', 'relay', 'laptop → shell'],
      ['connection', '', 'relay', '127.0.0.1:5000 → web:80'],
      ['terminal', 'end', 'relay', 'laptop → shell'],
    ],
  );
  const summary = events[1]!;
  assert.ok(summary.kind === 'connection', "summary.kind === 'connection'");
  assert.deepEqual(
    [summary.connection, summary.bytesIn, summary.bytesOut, summary.durationMs],
    ['forward', 300, 20, 1500],
  );
  assert.equal(events[2]!.reason, 'closed by the owner of this node');
});

test('a terminal names the link its stream came on, and a resume is a resume on the new link', () => {
  const { events, connections } = setup();
  const peer = { name: 'laptop', fingerprint: fp };
  // Arrived on a route although the peer's path now (pathOf) is the relay (issue 52, F10).
  const term = connections.open({
    kind: 'terminal-served',
    peer,
    from: 'laptop',
    to: 'shell',
    close: () => {},
    via: { path: 'route', address: 'hop.example:7443' },
  });
  term.resumed({ path: 'direct', address: '198.51.100.7:7443' });
  term.end();
  // Taken up by this agent after a restart: not a second start.
  connections
    .open({ kind: 'terminal-opened', peer, from: 'this node', to: 'shell', close: () => {}, resumed: true })
    .end();
  assert.deepEqual(
    events.map((e) => [e.kind, 'phase' in e ? e.phase : '', e.path, e.address]),
    [
      ['terminal', 'start', 'route', 'hop.example:7443'],
      ['terminal', 'resume', 'direct', '198.51.100.7:7443'],
      ['terminal', 'end', 'direct', '198.51.100.7:7443'],
      ['terminal', 'resume', 'relay', 'wss://relay.example'],
      ['terminal', 'end', 'relay', 'wss://relay.example'],
    ],
  );
  assert.equal(events[1]!.reason, 'its stream came back on a new link');
  assert.equal(events[3]!.reason, 'taken up by this agent after a restart');
});

test('pairing: a failed attempt and the joiner side are recorded; the disposer stops it all', () => {
  const { events, progress, connections, off } = setup();
  progress.step({ role: 'new', code: '1234-abcd', step: 'failed', message: 'wrong code' });
  progress.step({ role: 'join', step: 'paired', peerName: 'office', fingerprint: fp, via: 'lan' });
  progress.step({ role: 'join', step: 'checking' });
  assert.deepEqual(
    events.map((e) => [e.kind, e.outcome, e.reason ?? '']),
    [
      ['pairing', 'failed', 'wrong code'],
      ['pairing', 'ok', ''],
    ],
  );
  assert.doesNotMatch(JSON.stringify(events), /1234-abcd/, 'a code is never written to the log');
  off();
  connections.open({ kind: 'forward', from: 'a', to: 'b', close: () => {} }).end();
  assert.equal(events.length, 2);
});
