/**
 * Links from nodes that are not (yet) peers. Such a node is authenticated (TLS or E2E) but may do
 * nothing but say hello: its hello becomes a pending request (via "fingerprint") and the link is closed
 * with the reason, so the other side learns it is waiting for approval (architecture.md §Pairing and approval).
 */
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { errorMessage, isClawError, refusalOf } from '../core/errors.js';
import type { RefusalCode } from '../core/refusal-codes.js';
import { Mux } from '../mux/mux.js';
import type { Link } from '../transport/link.js';
import { CONTROL_SERVICE, parseHello, type Hello } from './control-service.js';
import { waitingLine } from '../state/pending.js';

/** How long an unapproved node's link may stay open to deliver its hello, in ms. */
export const PENDING_LINK_GRACE_MS = 5_000;
/** Delay before closing after the hello, in ms, so the rejection reaches the other side first. */
const CLOSE_AFTER_HELLO_MS = 200;

export interface PendingLinkDeps {
  readonly name: string;
  readonly log: Logger;
  /** Records the request; returns the line to send back (why the node must wait, or why it is refused). */
  onUnknownHello(link: Link, hello: Hello): string;
  /** A `pair` stream: pairing by code over this (LAN) link; resolves when the exchange is over. */
  onPairStream(stream: Duplex, link: Link, args: unknown): Promise<void>;
}

/** The service a joiner opens on a direct link to pair by code over the LAN. */
export const PAIR_SERVICE = 'pair';

export function attachPendingLink(deps: PendingLinkDeps, link: Link): void {
  let answer = waitingLine(deps.name);
  let code: RefusalCode = 'NOT_APPROVED';
  let pairing = false;
  const mux = new Mux(link, {
    onStream: (req) => {
      if (req.service === PAIR_SERVICE && !pairing) {
        pairing = true;
        const stream = req.accept();
        stream.on('error', () => undefined);
        // Pairing says its own failures; the link to a stranger ends with it either way.
        const finished = () => mux.close('pairing finished');
        deps.onPairStream(stream, link, req.args).then(finished, (err: unknown) => {
          deps.log.warn(`pairing on a link from ${link.remote} failed: ${errorMessage(err)}`);
          finished();
        });
        return;
      }
      if (req.service === CONTROL_SERVICE) {
        try {
          answer = deps.onUnknownHello(link, parseHello(req.args));
        } catch (err) {
          answer = (err as Error).message;
          code = refusalOf(err) ?? (isClawError(err, 'PROTOCOL') ? 'BAD_REQUEST' : 'UNSPECIFIED');
        }
        req.reject(code, answer);
        setTimeout(() => mux.close(answer), CLOSE_AFTER_HELLO_MS).unref();
        return;
      }
      req.reject(code, answer);
    },
  });
  // A pairing exchange may wait minutes for the owner's decision; anything else gets a few seconds.
  setTimeout(() => pairing || mux.close(answer), PENDING_LINK_GRACE_MS).unref();
  deps.log.info(
    { fingerprint: link.peerId, remote: link.remote, path: link.path },
    'link from a node that is not a peer',
  );
}
