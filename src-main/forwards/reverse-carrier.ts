/**
 * The connections that arrive for this node's reverse forwards (ADR 0018): each is a `reverse-connect`
 * stream the listening peer opens, served only for an id of one of this node's listening reverse
 * forwards to that very peer, then carried to the forward's target here — dialed and spliced, served
 * in this process (a share: LocalReverseTarget), or, for a reverse UDP forward (ADR 0019), one client
 * flow served by the udp-connect exit — with the forward's counters. Asking the peer to listen is
 * reverse-forwards.ts's.
 */
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { SavedForwards } from './saved-forwards.js';
import type { ConnectionAdmission, ServedConnection, ServiceRequest } from '../services/services.js';
import type { ForwardRecord } from './saved-forward-schema.js';
import type { ConnectionKind } from '../api/contract.js';
import { describeZodError } from '../core/zod-error.js';
import { ClawError } from '../core/errors.js';
import { parseHostPort } from '../core/host-port.js';
import { reverseConnectArgsSchema } from './reverse-protocol.js';
import { splice } from './splice.js';
import type { StreamResumes } from './stream-resumes.js';
import { classifyDialError, dial } from './tcp-connect-service.js';
import { ExitConnections } from './exit-connections.js';
import { serveUdpConnect, type UdpExitWatch } from './udp-connect-service.js';
import { UDP_CONNECT_SERVICE, UDP_CONNECT_VERSION } from './udp-connect-protocol.js';
import { DEFAULT_UDP_IDLE_MS } from './forward-bounds.js';
import { MAX_UDP_FLOWS_PER_FORWARD } from './udp-forward.js';
import { peerSide, type ReverseRun } from './reverse-run.js';

/**
 * TCP connections one reverse forward carries here at once, counted from before the dial (docs/security.md):
 * each is a socket to the forward's target, and the peer that listens decides how many it opens. Its
 * own listener for the forward admits as many (reverse-listen-service.ts), so a peer within it never
 * meets this cap; beyond it a `reverse-connect` is refused with why, and the target is not dialed.
 * Half of a local forward's listener cap: to the target here, all of them come from the one peer, as
 * from one source (listener.ts MAX_FORWARD_CONNECTIONS_PER_SOURCE).
 */
export const MAX_REVERSE_CONNECTIONS_PER_FORWARD = 512;

/**
 * Serves the connections of some reverse forwards here, in this process, instead of dialing their
 * `remote` (a shared folder's file server, src-main/share/; ADR 0052): the peer listens and each
 * connection comes back as usual, then goes to `serve` rather than to a socket.
 */
export interface LocalReverseTarget {
  /** What its connections are in `connections`. */
  readonly kind: ConnectionKind;
  /** Where `record`'s connections go, as `connections` lists it, when they are served here; else undefined. */
  describe(record: ForwardRecord): string | undefined;
  /**
   * At the cap of connections one reverse forward carries (MAX_REVERSE_CONNECTIONS_PER_FORWARD), ends
   * one of `record`'s that costs nobody anything yet (a share's connection still waiting for a
   * request) so a new one can be served; false when none may be ended, and the new one is refused.
   */
  makeRoom?(record: ForwardRecord): boolean;
  /**
   * Serves one connection: `stream` carries the client's bytes; resolves once it closed, with how it
   * went in a few words for its summary in the audit log (`3 requests`), if it says. `received`
   * counts bytes from the peer's client, `sent` bytes back to it.
   */
  serve(
    record: ForwardRecord,
    stream: Duplex,
    connection: ServedConnection,
    count: { received(n: number): void; sent(n: number): void },
  ): Promise<string | undefined>;
}

/** What the carrier reads and whom it tells. */
export interface ReverseCarrierDeps {
  readonly log: Logger;
  readonly saved: Pick<SavedForwards, 'forward'>;
  /** What serves some reverse forwards' connections in this process instead of a dial (shares). */
  readonly local?: LocalReverseTarget | undefined;
  /** Halves of resumable streams (ADR 0023); absent: a connection's `resume` argument is ignored. */
  readonly resumes?: StreamResumes | undefined;
  /** The reverse forward this node runs under wire id `id`, if any. */
  runById(id: string): ReverseRun | undefined;
  /** A connection opened or closed, or a problem came or went: counters moved. */
  moved(): void;
}

export class ReverseCarrier {
  constructor(private readonly deps: ReverseCarrierDeps) {}

  /** One connection the peer accepted on a reverse forward's listener: connect it to the target here. */
  async serve(req: ServiceRequest, served: ConnectionAdmission): Promise<void> {
    const parsed = reverseConnectArgsSchema().safeParse(req.args);
    if (!parsed.success) {
      return req.reject('BAD_REQUEST', `bad reverse-connect arguments: ${describeZodError(parsed.error)}`);
    }
    const run = this.deps.runById(parsed.data.id);
    const record = run && this.deps.saved.forward(run.name);
    if (!run || !record || run.now.state !== 'listening' || record.viaFingerprint !== req.peer.fingerprint) {
      return req.reject(
        'PERMISSION_DENIED',
        `no reverse forward here listens on ${req.peer.name} under that id`,
      );
    }
    if (record.protocol === 'udp') return this.serveFlow(run, record, req, served);
    const resumeId = this.deps.resumes ? parsed.data.resume : undefined;
    if (resumeId !== undefined && this.deps.resumes?.has(req.peer.fingerprint, resumeId)) {
      return req.reject('BAD_REQUEST', 'bad reverse-connect arguments: that resume ID is already in use');
    }
    // Checked and counted in this same turn, before the dial: a burst cannot all pass the check first.
    // A connection served here may take the place of one that is only waiting (a share's slow client):
    // that one is ended now, and leaves the count once its stream has closed, a moment later.
    const local = this.deps.local;
    if (
      (run.carried ?? 0) >= MAX_REVERSE_CONNECTIONS_PER_FORWARD &&
      !(local?.describe(record) !== undefined && local.makeRoom?.(record))
    ) {
      const why = `${MAX_REVERSE_CONNECTIONS_PER_FORWARD} connections open already, the most one reverse forward carries; more are refused until some close`;
      run.problem = { message: why, at: Date.now() };
      this.deps.moved();
      return req.reject('TOO_MANY_STREAMS', why);
    }
    run.carried = (run.carried ?? 0) + 1;
    try {
      const here = this.deps.local?.describe(record);
      if (here !== undefined) await this.carryHere(run, record, req, served, resumeId, here);
      else await this.carry(run, record, req, served, resumeId);
    } finally {
      run.carried--;
    }
  }

  /**
   * One connection of a reverse forward served in this process (a share), its place under the cap
   * taken: accept, then hand the stream to the local target until it closes.
   */
  private async carryHere(
    run: ReverseRun,
    record: ForwardRecord,
    req: ServiceRequest,
    served: ConnectionAdmission,
    resumeId: string | undefined,
    to: string,
  ): Promise<void> {
    const local = this.deps.local!;
    let stream: Duplex | undefined;
    let connection: ServedConnection;
    const peer = served.peer;
    try {
      const accepted = served.accept({
        kind: local.kind,
        from: `${peer.name} ${record.listen}`,
        to,
        close: (reason, refusal) =>
          stream?.destroy(new ClawError('STREAM_RESET', reason, refusal ? { refusal } : undefined)),
      });
      connection = accepted.connection;
      stream =
        resumeId !== undefined && this.deps.resumes
          ? this.deps.resumes.adopt(peer.fingerprint, resumeId, accepted.stream)
          : accepted.stream;
    } catch {
      return;
    }
    const { counters } = run;
    counters.connections++;
    counters.open++;
    run.problem = undefined;
    this.deps.moved();
    // Counted as a dialed one's (carry): the run's `bytesIn` and the listing's out are what the peer's
    // clients sent towards here; the answers going back, the other two.
    let how: string | undefined;
    try {
      how = await local.serve(record, stream, connection, {
        received: (n) => {
          counters.bytesIn += n;
          connection.bytesOut(n);
        },
        sent: (n) => {
          counters.bytesOut += n;
          connection.bytesIn(n);
        },
      });
    } finally {
      connection.end(how);
      counters.open--;
      this.deps.moved();
    }
  }

  /** One TCP connection of a reverse forward, its place under the cap taken: dial, accept, splice. */
  private async carry(
    run: ReverseRun,
    record: ForwardRecord,
    req: ServiceRequest,
    served: ConnectionAdmission,
    resumeId: string | undefined,
  ): Promise<void> {
    const target = parseHostPort(record.remote ?? '');
    const abort = new AbortController();
    let socket;
    try {
      socket = await dial(target.host, target.port, {
        limits: undefined,
        signal: abort.signal,
        notAllowed: '',
      });
    } catch (err) {
      const why = `cannot reach ${record.remote}: ${classifyDialError(err).message}`;
      run.problem = { message: why, at: Date.now() };
      this.deps.moved();
      return req.reject('SERVICE_FAILED', why);
    }
    let stream: Duplex | undefined;
    let connection: ServedConnection;
    const peer = served.peer;
    try {
      // Listed while it lasts (`connections`): from the peer's listener to the target here; cut, both
      // the target's socket and the peer's stream go.
      const accepted = served.accept({
        from: `${peer.name} ${record.listen}`,
        to: record.remote ?? '',
        close: (reason, refusal) => {
          stream?.destroy(new ClawError('STREAM_RESET', reason, refusal ? { refusal } : undefined));
          if (!socket.destroyed) socket.resetAndDestroy();
        },
      });
      connection = accepted.connection;
      // A resumable stream survives its link (ADR 0023): the peer re-attaches it on its next link.
      stream =
        resumeId !== undefined && this.deps.resumes
          ? this.deps.resumes.adopt(peer.fingerprint, resumeId, accepted.stream)
          : accepted.stream;
    } catch {
      socket.destroy();
      return;
    }
    const { counters } = run;
    counters.connections++;
    counters.open++;
    run.problem = undefined;
    this.deps.moved();
    // Bytes out (listed from → to): from the peer's side (its clients) to the target here; in: the answers.
    await splice(socket, stream, {
      bytesIn: (n) => {
        counters.bytesIn += n;
        connection.bytesOut(n);
      },
      bytesOut: (n) => {
        counters.bytesOut += n;
        connection.bytesIn(n);
      },
    });
    connection.end();
    counters.open--;
    this.deps.moved();
  }

  /**
   * One client flow of a reverse UDP forward (the peer's listener opened it): served by the udp-connect
   * exit towards the forward's target, with no destination limits (the target is this node's own
   * choice) and at most MAX_UDP_FLOWS_PER_FORWARD flows, counted on the forward and listed while open.
   */
  private serveFlow(
    run: ReverseRun,
    record: ForwardRecord,
    req: ServiceRequest,
    served: ConnectionAdmission,
  ): Promise<void> {
    const target = parseHostPort(record.remote ?? '');
    const { counters } = run;
    run.flows ??= new ExitConnections();
    const watch: UdpExitWatch = {
      opened: () => {
        counters.connections++;
        counters.open++;
        run.problem = undefined;
        this.deps.moved();
        return {
          // In: a datagram from the peer's clients, towards the target here; out: a reply going back.
          counters: {
            received: (n) => {
              counters.datagramsIn++;
              counters.bytesIn += n;
            },
            sent: (n) => {
              counters.datagramsOut++;
              counters.bytesOut += n;
            },
            dropped: () => counters.dropped++,
          },
          end: () => {
            counters.open--;
            this.deps.moved();
          },
        };
      },
      failed: (why) => {
        run.problem = { message: why, at: Date.now() };
        this.deps.moved();
      },
    };
    // The peer's request names only the forward; what the exit is asked is this node's own record.
    const request: ServiceRequest = {
      service: UDP_CONNECT_SERVICE,
      args: {
        v: UDP_CONNECT_VERSION,
        host: target.host,
        port: target.port,
        idleMs: record.udpIdleMs ?? DEFAULT_UDP_IDLE_MS,
      },
      peer: req.peer,
      reject: (code, reason) => req.reject(code, reason),
      signal: req.signal,
    };
    return serveUdpConnect(
      {
        name: `forward ${run.name}`,
        log: this.deps.log,
        limitsFor: () => undefined,
        open: run.flows,
        maxFlows: MAX_UDP_FLOWS_PER_FORWARD,
        watch,
        // Listed as the reverse flow it is, from where the peer listens; the target is this node's
        // own choice, so no limits apply (the peer's removal ends it all the same).
        listAs: { kind: 'reverse-udp', from: `${req.peer.name} ${peerSide(record)}` },
        recheck: null,
      },
      request,
      served,
    );
  }
}
