/**
 * The opening side of `tcp-connect`: a Dialer turns "host:port, exiting at peer P" into a connected
 * Duplex, or a ConnectError whose `failure` says why in terms each front end maps to its own protocol
 * (SOCKS5 reply code, HTTP 502 body, a log line for a TCP forward).
 */
import { randomBytes } from 'node:crypto';
import type { Duplex, Readable } from 'node:stream';
import type { PeerDirectory, PeerStreams } from '../agent/ports.js';
import { resolvePeer } from '../agent/peer-api.js';
import { ClawError, errorMessage, isClawError, refusalOf } from '../core/errors.js';
import { formatHostPort } from '../core/host-port.js';
import { FEATURE_EARLY_DATA } from '../mux/early-data.js';
import { ResumableStream } from '../mux/resumable-stream.js';
import { MuxStream } from '../mux/stream.js';
import { readMessage } from './read-message.js';
import { STREAM_RESUME_MS, STREAM_RESUME_SERVICE } from './stream-resumes.js';
import {
  ConnectStatus,
  decodeConnectResult,
  failureOfStatus,
  TCP_CONNECT_SERVICE,
  type ConnectFailure,
  type TcpConnectArgs,
} from './tcp-connect-protocol.js';
import { CONNECT_TIMEOUT_MS } from './tcp-connect-service.js';

/**
 * How long the opener waits for the exit peer's result, in ms: the exit's own dial timeout plus room for
 * a slow path, so the exit's precise reason normally arrives before this fires.
 */
export const RESULT_TIMEOUT_MS = CONNECT_TIMEOUT_MS + 5_000;

/** A connection through a peer that could not be made; `failure` says why, `message` is one line. */
export class ConnectError extends ClawError {
  constructor(
    readonly failure: ConnectFailure,
    message: string,
  ) {
    super('CONNECT_FAILED', message);
  }
}

export interface ConnectOptions {
  /**
   * The client whose bytes go to the target: what it has sent before the peer answers travels with the
   * stream's OPEN (mux/early-data.ts), so a first request costs no extra round trip.
   */
  early?: Readable;
  /** Told how many of the client's bytes went early (they never pass through the caller's splice). */
  sentEarly?: (bytes: number) => void;
}

export interface Dialer {
  /**
   * Connects to `host:port` from `peer` (a name or fingerprint). The stream comes back paused (pipe()
   * or resume() it), so no byte that followed the result message is lost before the caller reads.
   * @throws ConnectError
   */
  connect(peer: string, host: string, port: number, opts?: ConnectOptions): Promise<Duplex>;
  /**
   * Opens one UDP flow to `host:port` from `peer` (udp-dialer.ts): a stream of datagram frames, once
   * the exit answered ok. Absent on a dialer without UDP.
   * @throws ConnectError
   */
  connectUdp?(peer: string, host: string, port: number, idleMs: number): Promise<Duplex>;
}

/** Classifies a failure to open the stream (before any result message). */
export function classifyOpenError(err: unknown, peer: string): ConnectError {
  if (err instanceof ConnectError) return err;
  const message = errorMessage(err);
  if (isClawError(err, 'PEER_NOT_FOUND')) return new ConnectError('unknown-peer', message);
  if (isClawError(err, 'PEER_OFFLINE')) return new ConnectError('peer-offline', message);
  if (isClawError(err, 'STREAM_REJECTED')) {
    if (refusalOf(err) === 'PERMISSION_DENIED') return new ConnectError('permission-denied', message);
    return new ConnectError('general', `peer ${peer} refused: ${message}`);
  }
  if (isClawError(err, 'TIMEOUT')) return new ConnectError('timeout', message);
  return new ConnectError('general', message);
}

/**
 * Waits for the result message at the front of a tcp-connect stream. Leaves the stream paused with the
 * bytes after the result pushed back. On a failure result the stream is destroyed.
 * @throws ConnectError
 */
export async function awaitConnectResult(
  stream: Duplex,
  peer: string,
  target: string,
  timeoutMs = RESULT_TIMEOUT_MS,
): Promise<void> {
  let result;
  try {
    result = await readMessage(stream, decodeConnectResult, timeoutMs, 'tcp-connect result');
  } catch (err) {
    stream.destroy();
    if (isClawError(err, 'TIMEOUT')) {
      throw new ConnectError(
        'timeout',
        `cannot reach ${target} via ${peer}: no answer within ${timeoutMs / 1000} s`,
      );
    }
    throw new ConnectError('general', `cannot reach ${target} via ${peer}: ${errorMessage(err)}`);
  }
  if (result.status === ConnectStatus.Ok) return;
  stream.destroy();
  const failure = failureOfStatus(result.status);
  const reason = result.reason || failure.replace(/-/g, ' ');
  throw new ConnectError(
    failure,
    failure === 'not-allowed' ? reason : `cannot reach ${target} via ${peer}: ${reason}`,
  );
}

/** Opens a tcp-connect stream to a peer: the part of dialing that differs between an agent and tests. */
export type OpenTcpConnect = (peer: string, args: TcpConnectArgs, early?: Readable) => Promise<Duplex>;

/** A Dialer over any way of opening tcp-connect streams; failures to open are classified here. */
export function tcpConnectDialer(open: OpenTcpConnect): Dialer {
  return {
    async connect(peer, host, port, opts = {}) {
      const target = formatHostPort(host, port);
      let stream: Duplex;
      try {
        stream = await open(peer, { host, port }, opts.early);
        // Right after the ACCEPT nothing but the early bytes was sent on a mux stream.
        const sent = stream instanceof MuxStream || stream instanceof ResumableStream ? stream.bytesOut : 0;
        if (sent > 0) opts.sentEarly?.(sent);
      } catch (err) {
        throw classifyOpenError(err, peer);
      }
      // Errors after the result are handled by whoever splices the stream; until then, none may crash us.
      const ignore = () => undefined;
      stream.on('error', ignore);
      try {
        await awaitConnectResult(stream, peer, target);
      } finally {
        stream.off('error', ignore);
      }
      return stream;
    },
  };
}

/**
 * A Dialer that opens tcp-connect streams to the agent's peers (by name or fingerprint). Each stream is
 * resumable (ADR 0023): when its link dies it moves to the peer's next link (relay or a new direct one)
 * and carries on byte-exact, or ends after STREAM_RESUME_MS.
 */
export function agentDialer(
  agent: Pick<PeerDirectory, 'peerEntries'> & Pick<PeerStreams, 'activePath'>,
  resumeMs = STREAM_RESUME_MS,
): Dialer {
  return tcpConnectDialer(async (peer, args, early) => {
    const { fingerprint } = resolvePeer(agent, peer);
    // The carrier and how to confirm its FIN arrived: a PING on the same link (its PONG follows it).
    // The peer is looked up again each time: its entry may have been replaced since (a changed record).
    const carried = async (service: string, serviceArgs: unknown, source?: Readable) => {
      const entry = resolvePeer(agent, fingerprint);
      const { mux } = agent.activePath(entry);
      // An older peer would take DATA before its ACCEPT as a violation and close the link.
      const sendEarly = source !== undefined && entry.features?.includes(FEATURE_EARLY_DATA) === true;
      const stream = await mux.open(service, serviceArgs, sendEarly ? { early: source } : {});
      return { stream, confirm: () => mux.ping() };
    };
    const id = randomBytes(16).toString('hex');
    let first;
    try {
      first = await openAcrossLinkLoss(() => carried(TCP_CONNECT_SERVICE, { ...args, resume: id }, early));
    } catch (err) {
      // An exit older than resume refuses the unknown argument: the stream is then an ordinary one.
      // (A refusal gave the early bytes back to the source, so they go again with this OPEN.)
      if (refusalOf(err) === 'BAD_REQUEST' && /resume/.test(errorMessage(err))) {
        return (await carried(TCP_CONNECT_SERVICE, args, early)).stream;
      }
      throw err;
    }
    return new ResumableStream(first, {
      resumeMs,
      reopen: (delivered) => carried(STREAM_RESUME_SERVICE, { id, delivered }),
      // Sent with the OPEN, before this layer existed: kept for a resend and counted like written bytes.
      sentEarly: first.stream.takeEarlyChunks(),
    });
  });
}

/**
 * How long a new forwarded connection's OPEN is tried again when the link it went on died under it, in
 * ms: the peer's other link (the relay, already up) usually takes over within this.
 */
export const OPEN_RETRY_AFTER_LINK_LOSS_MS = 5_000;
/** Pause between two such tries, in ms. */
const OPEN_RETRY_PAUSE_MS = 250;

/**
 * Runs `open` and, while it fails because the link it used closed (a path judged dead just then; the
 * OPEN's bytes, early ones included, went back to their source), again on whatever link is active
 * next, for up to OPEN_RETRY_AFTER_LINK_LOSS_MS. A refusal, a peer with no link at all, or any other
 * failure ends it at once, as before. Once open, the stream itself resumes (ADR 0023).
 */
export async function openAcrossLinkLoss<T>(
  open: () => Promise<T>,
  retryMs = OPEN_RETRY_AFTER_LINK_LOSS_MS,
): Promise<T> {
  const deadline = performance.now() + retryMs;
  for (;;) {
    try {
      return await open();
    } catch (err) {
      const linkLost = isClawError(err, 'LINK_CLOSED') && refusalOf(err) === undefined;
      if (!linkLost || performance.now() + OPEN_RETRY_PAUSE_MS > deadline) throw err;
      await new Promise((r) => setTimeout(r, OPEN_RETRY_PAUSE_MS));
    }
  }
}
