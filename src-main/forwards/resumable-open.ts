/**
 * The opener's side of resumable streams (ADR 0023), shared by every stream kind that resumes: opens
 * `service` to a peer with a fresh resume ID in its arguments, and wraps the stream in a ResumableStream
 * that re-opens `stream-resume` on the peer's current link when its link dies. A peer older than resume
 * refuses the unknown argument; the stream is then opened again without it, as an ordinary one.
 */
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { PeerDirectory, PeerStreams } from '../agent/ports.js';
import { resolvePeer } from '../agent/peer-api.js';
import { errorMessage, refusalOf } from '../core/errors.js';
import { ResumableStream } from '../mux/resumable-stream.js';
import { STREAM_RESUME_SERVICE } from './stream-resumes.js';

/** What opening a resumable stream needs of the agent: its peers and each one's current path. */
export type ResumableLinks = Pick<PeerDirectory, 'peerEntries'> & Pick<PeerStreams, 'activePath'>;

/**
 * Opens `service` to `peer` (a name or fingerprint) with `{...args, resume: ID}`.
 * @throws what opening the first stream throws (PEER_OFFLINE, STREAM_REJECTED, …)
 */
export async function openResumable(
  links: ResumableLinks,
  peer: string,
  service: string,
  args: Record<string, unknown>,
  resumeMs: number,
): Promise<Duplex> {
  const { fingerprint } = resolvePeer(links, peer);
  // The carrier and how to confirm its FIN arrived: a PING on the same link (its PONG follows it).
  // The peer is looked up again each time: its entry may have been replaced since (a changed record).
  const carried = async (name: string, serviceArgs: unknown) => {
    const { mux } = links.activePath(resolvePeer(links, fingerprint));
    return { stream: await mux.open(name, serviceArgs), confirm: () => mux.ping() };
  };
  const id = randomBytes(16).toString('hex');
  let first;
  try {
    first = await carried(service, { ...args, resume: id });
  } catch (err) {
    if (refusalOf(err) === 'BAD_REQUEST' && /resume/.test(errorMessage(err))) {
      return (await carried(service, args)).stream;
    }
    throw err;
  }
  return new ResumableStream(first, {
    resumeMs,
    reopen: (delivered) => carried(STREAM_RESUME_SERVICE, { id, delivered }),
  });
}
