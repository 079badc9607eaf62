/**
 * The opening side of `tcp-connect`: a Dialer turns "host:port, exiting at peer P" into a connected
 * Duplex, or a ConnectError whose `failure` says why in terms each front end maps to its own protocol
 * (SOCKS5 reply code, HTTP 502 body, a log line for a TCP forward).
 */
import type { Duplex, Readable } from 'node:stream';
import type { PeerDirectory, PeerStreams } from '../links/ports.js';
import { ClawError, errorMessage, isClawError, refusalOf } from '../core/errors.js';
import { formatHostPort } from '../core/host-port.js';
import { ResumableStream } from '../mux/resumable-stream.js';
import { MuxStream } from '../mux/stream.js';
import { openResumable } from './resumable-open.js';
import { readMessage } from './read-message.js';
import { STREAM_RESUME_MS } from './stream-resumes.js';
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
  return tcpConnectDialer((peer, args, early) =>
    openResumable(agent, peer, TCP_CONNECT_SERVICE, { ...args }, resumeMs, early),
  );
}
