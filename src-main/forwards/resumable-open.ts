/**
 * The opener's side of resumable streams (ADR 0023), shared by every stream kind that resumes: opens
 * `service` to a peer with a fresh resume ID in its arguments, and wraps the stream in a ResumableStream
 * that re-opens `stream-resume` on the peer's current link when its link dies. A peer older than resume
 * refuses the unknown argument; the stream is then opened again without it, as an ordinary one.
 *
 * The first bytes may go with the OPEN (`early`, ADR 0024) to a peer that takes them; the layer keeps
 * them for a resend like written ones. An OPEN lost with its link (a path judged dead just then) goes
 * again on the peer's next link (openAcrossLinkLoss).
 */
import { randomBytes } from 'node:crypto';
import type { Duplex, Readable } from 'node:stream';
import type { PeerDirectory, PeerStreams } from '../links/ports.js';
import { resolvePeer } from '../links/resolve-peer.js';
import { errorMessage, isClawError, refusalOf } from '../core/errors.js';
import { FEATURE_EARLY_DATA } from '../mux/early-data.js';
import { ResumableStream } from '../mux/resumable-stream.js';
import { STREAM_RESUME_SERVICE } from './stream-resumes.js';
import type { ConnectionVia } from '../connections/connection-table.js';

/** What opening a resumable stream needs of the agent: its peers and each one's current path. */
export type ResumableLinks = Pick<PeerDirectory, 'peerEntries'> & Pick<PeerStreams, 'activePath'>;

/**
 * Opens `service` to `peer` (a name or fingerprint) with `{...args, resume: ID}`; `early`, when given,
 * is where the stream's first bytes come from (sent with the OPEN when the peer takes early data).
 * @throws what opening the first stream throws (PEER_OFFLINE, STREAM_REJECTED, …)
 */
export async function openResumable(
  links: ResumableLinks,
  peer: string,
  service: string,
  args: Record<string, unknown>,
  resumeMs: number,
  early?: Readable,
): Promise<Duplex> {
  const { fingerprint } = resolvePeer(links, peer);
  /** The link the stream is on now: its first, then each it resumed on. */
  let carrier: ConnectionVia | undefined;
  // The carrier and how to confirm its FIN arrived: a PING on the same link (its PONG follows it).
  // The peer is looked up again each time: its entry may have been replaced since (a changed record).
  const carried = async (name: string, serviceArgs: unknown, source?: Readable) => {
    const entry = resolvePeer(links, fingerprint);
    const { mux, path, link } = links.activePath(entry);
    carrier = { path, address: link.remote };
    // An older peer would take DATA before its ACCEPT as a violation and close the link.
    const sendEarly = source !== undefined && entry.features?.includes(FEATURE_EARLY_DATA) === true;
    const stream = await mux.open(name, serviceArgs, sendEarly ? { early: source } : {});
    return { stream, confirm: () => mux.ping() };
  };
  const id = randomBytes(16).toString('hex');
  let first;
  try {
    first = await openAcrossLinkLoss(() => carried(service, { ...args, resume: id }, early));
  } catch (err) {
    // (A refusal gave the early bytes back to the source, so they go again with this OPEN.)
    if (refusalOf(err) === 'BAD_REQUEST' && /resume/.test(errorMessage(err))) {
      return (await carried(service, args, early)).stream;
    }
    throw err;
  }
  const moves = new Set<(via: ConnectionVia) => void>();
  const resumable = new ResumableStream(first, {
    resumeMs,
    reopen: (delivered) => carried(STREAM_RESUME_SERVICE, { id, delivered }),
    onEvent: (event) => {
      if (event === 'resumed' && carrier) for (const moved of moves) moved(carrier);
    },
    // Sent with the OPEN, before this layer existed: kept for a resend and counted like written bytes.
    sentEarly: first.stream.takeEarlyChunks(),
  });
  carrierMoves.set(resumable, moves);
  return resumable;
}

/** The listeners to each resumable stream's moves to another link (onCarrierMove). */
const carrierMoves = new WeakMap<Duplex, Set<(via: ConnectionVia) => void>>();

/**
 * Calls `moved` with the link a stream openResumable made carries on over, each time it resumed on
 * another one (the relay link closed once direct was up): so what lists the connection (its audit
 * line) names the path it is on, not the one it began on. A stream of another kind never moves.
 */
export function onCarrierMove(stream: Duplex, moved: (via: ConnectionVia) => void): () => void {
  const moves = carrierMoves.get(stream);
  if (!moves) return () => undefined;
  moves.add(moved);
  return () => moves.delete(moved);
}

/**
 * How long a new stream's OPEN is tried again when the link it went on died under it, in ms: the
 * peer's other link (the relay, already up) usually takes over within this.
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
