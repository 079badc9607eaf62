/**
 * The one registry of what a node serves (services/services.ts, docs/adr/0047-one-service-registry.md):
 * the grant is checked when the stream is accepted, not only when it arrived; an accepted stream is a
 * listed connection (or, explicitly, a held stream), with children for what it brings; and one
 * subscription to the node state ends everything that depended on a grant taken away — also a
 * service's own limits, and a connection whose handler never watched anything.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { ConnectionInfo, ConnectionKind } from '../../../src-main/api/contract.js';
import {
  ServiceRegistry,
  type ConnectionAdmission,
  type HeldAdmission,
  type ListenerAdmission,
  type ServiceBasics,
  type ServiceRequest,
  type SessionAdmission,
} from '../../../src-main/services/services.js';
import type { PeerRecord } from '../../../src-main/state/settings.js';
import type { StateChange } from '../../../src-main/state/state-changes.js';
import { ConnectionTable } from '../../../src-main/connections/connection-table.js';
import { ClawError, refusalOf } from '../../../src-main/core/errors.js';
import type { MuxStream } from '../../../src-main/mux/stream.js';
import type { StreamRequest } from '../../../src-main/mux/types.js';

const A = 'a'.repeat(64);
const C = 'c'.repeat(64);

/** A service as these tests register it: what it admits, without a handler of its own. */
type Registered = ServiceBasics &
  ({ admits: 'connection' | 'session'; kind: ConnectionKind } | { admits: 'listener' | 'held' });

/** A node "b" with a settable record per peer, its connection table and its registry. */
function node() {
  const records = new Map<string, PeerRecord>();
  const listeners = new Set<(change: StateChange) => void>();
  const connections = new ConnectionTable();
  const ended: { info: ConnectionInfo; reason: string | undefined }[] = [];
  connections.events.on('ended', (info, reason) => ended.push({ info, reason }));
  const registry = new ServiceRegistry({
    name: () => 'b',
    state: {
      peer: (fp) => records.get(fp),
      subscribe: (l) => (listeners.add(l), () => void listeners.delete(l)),
    },
    connections,
  });
  const refused: string[] = [];
  registry.events.on('refused', (r) => refused.push(`${r.code}: ${r.reason}`));
  /** The owner writes `fp`'s record (undefined: removes the peer); the state announces it. */
  const set = (fp: string, record: Omit<PeerRecord, 'fingerprint' | 'addresses' | 'addedAt'> | undefined) => {
    const before = records.get(fp);
    if (record) records.set(fp, { fingerprint: fp, addresses: [], addedAt: '', ...record });
    else records.delete(fp);
    for (const l of listeners) l({ kind: 'peer', id: fp, before, after: records.get(fp) });
  };
  set(A, { name: 'a', allow: ['forward', 'listen'] });
  set(C, { name: 'c', allow: ['forward'] });
  /** Registers `def` as `name` and keeps each admission its handler gets. */
  const admissions: { req: ServiceRequest; served: unknown }[] = [];
  const register = (name: string, def: Registered) => {
    const handle = (req: ServiceRequest, served: unknown) => void admissions.push({ req, served });
    registry.register(name, { ...def, handle });
  };
  /**
   * A stream request from `fp` as the peer-link set dispatches it, with the record it has now; `T`: the
   * admission its service's kind gets.
   */
  const open = <T = ConnectionAdmission>(service: string, fp = A) => {
    const answer: { accepted?: MuxStream; rejected?: { code: string; reason: string } } = {};
    const req: StreamRequest = {
      service,
      args: {},
      signal: new AbortController().signal,
      accept: () => {
        if (answer.rejected) throw new ClawError('BAD_ARGUMENT', 'answered already');
        answer.accepted = new PassThrough() as unknown as MuxStream;
        return answer.accepted;
      },
      reject: (code, reason) => void (answer.rejected = { code, reason }),
    };
    const record = records.get(fp)!;
    const via = { path: 'direct' as const, address: '192.0.2.7:7443' };
    registry.dispatch('b', { fingerprint: fp, name: record.name, allow: record.allow, via }, req);
    return { answer, admission: admissions[admissions.length - 1]! as { req: ServiceRequest; served: T } };
  };
  return { registry, connections, ended, refused, set, register, open };
}

/** The reset a stream was destroyed with. */
function resetOf(stream: MuxStream): Promise<ClawError> {
  return new Promise((resolve) =>
    (stream as unknown as PassThrough).once('error', (e) => resolve(e as ClawError)),
  );
}

/**
 * What each kind of service may do with its stream, checked by the compiler (`npm run typecheck` checks
 * each `@ts-expect-error`): a misuse does not build, so none is refused at run time.
 */
function misuses(
  connection: ConnectionAdmission,
  session: SessionAdmission,
  listener: ListenerAdmission,
  held: HeldAdmission,
  registry: ServiceRegistry,
): void {
  /* eslint-disable @typescript-eslint/no-unsafe-call -- each call here is one the compiler refuses */
  // @ts-expect-error a connection is listed as its stream is accepted: never without its listing
  connection.accept();
  // @ts-expect-error a connection brings no children (a listener's connections are its own)
  connection.child({ kind: 'reverse-served', from: 'a', to: 'b' });
  // @ts-expect-error nor does it carry on another: only a session is resumed
  connection.resume(undefined);
  // @ts-expect-error a session's stream is accepted for the session `open` listed
  session.accept();
  // @ts-expect-error a listener is no connection: its stream is held
  listener.accept({ from: 'a', to: 'x' });
  // @ts-expect-error a child is listed with its kind: the listener has none of its own
  listener.child({ from: 'a', to: 'x' });
  // @ts-expect-error a held stream lists nothing
  held.accept({ from: 'a', to: 'x' });
  // @ts-expect-error and brings nothing
  held.child({ kind: 'reverse-served', from: 'a', to: 'b' });
  /* eslint-enable @typescript-eslint/no-unsafe-call */
  // @ts-expect-error a service that lists connections says their kind
  registry.register('exit', { admits: 'connection', permission: null, noun: 'x', handle: () => undefined });
  // @ts-expect-error a listener's handler gets a listener's admission, not a connection's
  registry.register('listener', {
    admits: 'listener',
    permission: null,
    noun: 'x',
    handle: (_req, admission: ConnectionAdmission) => void admission,
  });
}

test('a handler gets its stream only through its admission, which offers only what its kind of service may do', () => {
  assert.equal(typeof misuses, 'function', 'type-level: compiled, never called');
  const n = node();
  n.register('exit', { admits: 'connection', permission: 'forward', noun: 'forwards', kind: 'tcp-exit' });
  const { admission, answer } = n.open('exit');
  assert.equal('accept' in admission.req, false, 'the request handed over has no accept');
  assert.equal(answer.accepted, undefined, 'nothing was accepted for it');
  // Accepted with its listing: listed at once, with the peer and the link it came on.
  const { stream, connection } = admission.served.accept({ from: 'a', to: 'db:5432' });
  assert.equal(stream, answer.accepted);
  const [listed] = n.connections.list();
  assert.equal(listed?.id, connection.id);
  assert.deepEqual(
    { kind: listed?.kind, peer: listed?.peer, from: listed?.from, to: listed?.to },
    { kind: 'tcp-exit', peer: { name: 'a', fingerprint: A }, from: 'a', to: 'db:5432' },
  );
  connection.bytesIn(5);
  connection.bytesOut(7);
  connection.end();
  assert.equal(n.connections.size, 0);
  assert.deepEqual(
    n.ended.map((e) => [e.info.kind, e.info.bytesIn, e.info.bytesOut, e.reason]),
    [['tcp-exit', 5, 7, undefined]],
  );
  assert.equal(n.registry.size, 0, 'an ended connection holds no grant');
});

test('the grant is checked again when the stream is accepted: one taken away while the handler worked refuses it', () => {
  const n = node();
  n.register('exit', { admits: 'connection', permission: 'forward', noun: 'forwards', kind: 'tcp-exit' });
  const { admission, answer } = n.open('exit');
  // The owner denies `forward` while the handler dials.
  n.set(A, { name: 'a', allow: ['listen'] });
  assert.throws(
    () => admission.served.accept({ from: 'a', to: 'db:5432' }),
    (e: ClawError) => refusalOf(e) === 'PERMISSION_DENIED',
  );
  assert.equal(answer.accepted, undefined);
  assert.deepEqual(answer.rejected, {
    code: 'PERMISSION_DENIED',
    reason: 'b no longer allows forwards from a',
  });
  assert.deepEqual(n.refused, ['PERMISSION_DENIED: b no longer allows forwards from a']);
  assert.equal(n.connections.size, 0, 'nothing listed for it');
});

test('revoking a permission ends every connection, child and held stream that depends on it, and only those', async () => {
  const n = node();
  n.register('exit', { admits: 'connection', permission: 'forward', noun: 'forwards', kind: 'tcp-exit' });
  n.register('listener', { admits: 'listener', permission: 'listen', noun: 'listening' });
  // A connection whose handler gave no close: the registry resets its stream itself.
  const bare = n.open('exit').admission.served.accept({ from: 'a', to: 'one:1' });
  // One whose handler closes its own sockets, and is told why and with which code.
  const closed: string[] = [];
  const own = n.open('exit').admission.served.accept({
    from: 'a',
    to: 'two:2',
    close: (reason, refusal) => void closed.push(`${refusal}: ${reason}`),
  });
  // A listener (held, not listed) and a connection it accepted (a child, listed).
  const listener = n.open<ListenerAdmission>('listener').admission.served;
  const held = listener.hold();
  const child = listener.child({ kind: 'reverse-served', from: '127.0.0.1:5555', to: 'a' });
  // Another peer's connection, which nothing here takes away.
  const other = n.open('exit', C).admission.served.accept({ from: 'c', to: 'three:3' });
  assert.equal(n.connections.size, 4);

  const bareReset = resetOf(bare.stream);
  n.set(A, { name: 'a', allow: ['listen'] });
  const err = await bareReset;
  assert.equal(err.message, 'b no longer allows forwards from a');
  assert.equal(refusalOf(err), 'PERMISSION_DENIED');
  assert.deepEqual(closed, ['PERMISSION_DENIED: b no longer allows forwards from a']);
  // The listener and its child depend on `listen`, still granted; c's connection on c's grant.
  assert.deepEqual(
    n.connections.list().map((c) => c.to),
    ['a', 'three:3'],
  );
  // The summary of each ended one says who took what away.
  assert.deepEqual(
    n.ended.map((e) => [e.info.to, e.reason]),
    [
      ['one:1', 'b no longer allows forwards from a'],
      ['two:2', 'b no longer allows forwards from a'],
    ],
  );

  // The peer removed: the listener's stream and its child go too (the child outlives no grant).
  const heldReset = resetOf(held);
  n.set(A, undefined);
  assert.equal((await heldReset).message, 'b removed this node as a peer');
  assert.deepEqual(
    n.connections.list().map((c) => c.to),
    ['three:3'],
  );
  assert.equal(n.ended.at(-1)?.reason, 'b removed this node as a peer');
  // Ending one already ended is harmless, and its close is not called twice.
  own.connection.end();
  child.end();
  assert.equal(closed.length, 1);
  other.connection.end();
  assert.equal(n.registry.size, 0);
});

test("a listing's recheck ends it for the service's own limits, in its words, while the grant stays", () => {
  const n = node();
  n.register('exit', { admits: 'connection', permission: 'forward', noun: 'forwards', kind: 'tcp-exit' });
  const reasons: string[] = [];
  const limited = (to: string) =>
    n.open('exit').admission.served.accept({
      from: 'a',
      to,
      close: (reason) => void reasons.push(reason),
      recheck: (record) =>
        record?.forwardTo && !record.forwardTo.includes(to) ? `b no longer allows ${to} for a` : undefined,
    });
  limited('db:5432');
  limited('web:80');
  n.set(A, { name: 'a', allow: ['forward'], forwardTo: ['web:80'] });
  assert.deepEqual(reasons, ['b no longer allows db:5432 for a']);
  assert.deepEqual(
    n.connections.list().map((c) => c.to),
    ['web:80'],
  );
  // A rename changes nothing it depends on.
  n.set(A, { name: 'laptop', allow: ['forward'], forwardTo: ['web:80'] });
  assert.equal(n.connections.size, 1);
});

test('connections close cuts one through its close (no refusal code), and a later revocation does not cut it again', () => {
  const n = node();
  n.register('exit', { admits: 'connection', permission: 'forward', noun: 'forwards', kind: 'tcp-exit' });
  const calls: string[] = [];
  const { connection } = n.open('exit').admission.served.accept({
    from: 'a',
    to: 'db:5432',
    close: (reason, refusal) => void calls.push(`${refusal ?? 'none'}: ${reason}`),
  });
  n.connections.close(connection.id);
  assert.deepEqual(calls, ['none: closed by the owner of this node']);
  n.set(A, { name: 'a', allow: [] });
  assert.equal(calls.length, 1);
  assert.equal(n.registry.size, 0);
});

test('a connection listed before its stream (a session) is cut when the grant goes before the accept; a resume joins it', () => {
  const n = node();
  n.register('term', {
    admits: 'session',
    permission: 'forward',
    noun: 'terminals',
    kind: 'terminal-served',
  });
  const first = n.open<SessionAdmission>('term');
  const hungUp: string[] = [];
  const session = first.admission.served.open({ from: 'a', to: 'sh', close: (r) => void hungUp.push(r) });
  const stream = first.admission.served.accept(session);
  assert.equal(stream, first.answer.accepted);
  // The stream is lost; the peer resumes over another: the same connection carries on.
  const again = n.open<SessionAdmission>('term');
  const resumed: unknown[] = [];
  n.connections.events.on('resumed', (_c, via) => resumed.push(via));
  again.admission.served.resume(session);
  assert.deepEqual(resumed, [{ path: 'direct', address: '192.0.2.7:7443' }]);
  assert.equal(n.connections.size, 1);
  // Listed, not accepted yet, and the grant goes: the session is hung up, the accept refused.
  const late = n.open<SessionAdmission>('term');
  const lateSession = late.admission.served.open({
    from: 'a',
    to: 'vi',
    close: (r) => void hungUp.push(`late: ${r}`),
  });
  n.set(A, { name: 'a', allow: ['listen'] });
  assert.deepEqual(hungUp, [
    'b no longer allows terminals from a',
    'late: b no longer allows terminals from a',
  ]);
  assert.throws(() => late.admission.served.accept(lateSession));
  assert.equal(late.answer.rejected?.code, 'PERMISSION_DENIED');
  assert.equal(n.connections.size, 0);
});

test("a service's own words for a grant taken away, and connections no stream brought (adopted) held all the same", () => {
  const n = node();
  n.registry.register('term', {
    admits: 'session',
    permission: 'forward',
    noun: 'terminals',
    kind: 'terminal-served',
    revoked: (record, self) => (record ? undefined : `${self} removed this node; the session is hung up`),
    handle: () => undefined,
  });
  const hungUp: string[] = [];
  n.registry.opener('term').open({
    kind: 'terminal-served',
    peer: { name: 'a', fingerprint: A },
    from: 'a',
    to: 'sh',
    close: (r) => void hungUp.push(r),
    resumed: true,
  });
  assert.equal(n.connections.size, 1);
  n.set(A, undefined);
  assert.deepEqual(hungUp, ['b removed this node; the session is hung up']);
  assert.equal(n.connections.size, 0);
});

test("a handler's refusals a peer provokes are recorded as the registry's own are; a malformed request or one its service records itself is not", () => {
  const n = node();
  n.register('exit', { admits: 'connection', permission: 'forward', noun: 'forwards', kind: 'tcp-exit' });
  n.registry.register('listener', {
    permission: 'listen',
    noun: 'listening',
    admits: 'listener',
    recordsRefusals: true,
    handle: (req) => req.reject('PERMISSION_DENIED', 'b does not allow a to listen on 0.0.0.0:80'),
  });
  n.open('exit').admission.req.reject('TOO_MANY_STREAMS', 'b serves too many');
  n.open('exit').admission.req.reject('PERMISSION_DENIED', 'no such forward here');
  n.open('exit').admission.req.reject('BAD_REQUEST', 'bad arguments');
  n.open<ListenerAdmission>('listener');
  assert.deepEqual(n.refused, [
    'TOO_MANY_STREAMS: b serves too many',
    'PERMISSION_DENIED: no such forward here',
  ]);
});
