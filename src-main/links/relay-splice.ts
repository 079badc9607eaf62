/**
 * Moving a relay link onto a splice (ADR 0013, docs/relay-protocol.md §Splices): once the peer's hello
 * says it splices, the end that opened the circuit picks a token, tells the relay (SPLICE) and the peer
 * (a `splice` stream whose only content is the token); the peer tells the relay too. Both then join the
 * splice and run pinned TLS over it, and the link moves there under the same mux (UpgradableLink). Any
 * failure leaves the link on its E2E circuit, as before; a relay where a splice failed is not asked
 * again for a while (it may sit behind a TLS proxy that does not pass splice lines on).
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { SPLICE_TOKEN_BYTES } from '../protocol/relay-frames.js';
import type { Mux } from '../mux/mux.js';
import type { StreamRequest } from '../mux/types.js';
import type { SpliceJoin } from '../protocol/relay-splice.js';
import type { TlsIdentity } from '../transport/direct.js';
import type { Link } from '../transport/link.js';
import { spliceLink } from '../transport/splice-link.js';
import { UpgradableLink } from '../transport/upgradable-link.js';
import { inBackground } from '../core/background.js';

/** The mux service that carries the token to the peer. */
export const SPLICE_SERVICE = 'splice';
/** The word in a hello's `features` that says a node joins splices. */
export const FEATURE_SPLICE = 'splice';
/** How long a relay where a splice failed is left alone, in ms (10 minutes). */
export const SPLICE_RETRY_AFTER_MS = 10 * 60 * 1000;

const TOKEN_HEX = new RegExp(`^[0-9a-f]{${SPLICE_TOKEN_BYTES * 2}}$`);

export interface SpliceDeps {
  readonly identity: TlsIdentity;
  readonly log: Logger;
  /** Keeps the relay `url` while a link spliced through it runs (relay-set.ts); returns the release. */
  holdRelay(url: string): () => void;
  /** A link moved onto a splice: its path reads differently now (`relay (spliced)`), so say so. */
  moved?(): void;
}

export class RelaySplicer {
  /** Relay URL → until when no splice is tried there, in ms since the epoch. */
  private readonly failedUntil = new Map<string, number>();

  constructor(
    private readonly deps: SpliceDeps,
    private readonly now: () => number = Date.now,
  ) {}

  /** The peer's hello arrived on `link`: the opener of a relay link starts the splice when both can. */
  onPeerHello(link: Link, mux: Mux, features: readonly string[] | undefined): void {
    if (!(link instanceof UpgradableLink) || !link.initiator || link.upgraded || link.closed) return;
    if (!features?.includes(FEATURE_SPLICE) || this.resting(link.remote)) return;
    inBackground(this.start(link, mux), this.deps.log, 'a splice');
  }

  /** The peer asks to splice `link` (a `splice` stream). */
  accept(link: Link, req: StreamRequest): void {
    const token = (req.args as { token?: unknown } | null)?.token;
    if (typeof token !== 'string' || !TOKEN_HEX.test(token)) {
      return req.reject('BAD_REQUEST', `splice needs a token of ${SPLICE_TOKEN_BYTES * 2} hex characters`);
    }
    if (!(link instanceof UpgradableLink) || link.initiator || link.upgraded) {
      return req.reject('BAD_REQUEST', 'only a relay link the peer opened can move to a splice');
    }
    const bytes = Buffer.from(token, 'hex');
    // This end is the TLS server: it joins with the splice line whichever way the relay takes.
    if (this.resting(link.remote) || !link.offerSplice(bytes)) {
      return req.reject('SERVICE_FAILED', 'no splice through this relay');
    }
    try {
      req.accept().destroy();
    } catch {
      return; // the peer gave up or the link went
    }
    inBackground(this.join(link, bytes, 'line'), this.deps.log, 'a splice');
  }

  private async start(link: UpgradableLink, mux: Mux): Promise<void> {
    const token = randomBytes(SPLICE_TOKEN_BYTES);
    const join = link.offerSplice(token);
    if (!join) return; // the relay has no splices
    try {
      const stream = await mux.open(SPLICE_SERVICE, { token: token.toString('hex') });
      stream.destroy();
    } catch (err) {
      this.deps.log.debug(
        { peer: link.peerId.slice(0, 8), err: (err as Error).message },
        'peer did not splice',
      );
      return;
    }
    await this.join(link, token, join);
  }

  private async join(link: UpgradableLink, token: Uint8Array, join: SpliceJoin): Promise<void> {
    const relayUrl = link.remote;
    try {
      const spliced = await spliceLink({
        relayUrl,
        token,
        identity: this.deps.identity,
        peerId: link.peerId,
        initiator: link.initiator,
        join,
      });
      if (link.closed) return spliced.close('link closed meanwhile');
      link.upgrade(spliced);
      // Its circuit closes now; the relay still carries the link (an on-demand one must stay).
      link.onClose(this.deps.holdRelay(relayUrl));
      // Nothing else changes with it: without this the window's Peers view kept `relay` until some
      // other change came (an end-to-end test waited for the new words in vain on a loaded machine).
      this.deps.moved?.();
      this.deps.log.debug({ peer: link.peerId.slice(0, 8), relay: relayUrl }, 'relay link moved to a splice');
    } catch (err) {
      this.failedUntil.set(relayUrl, this.now() + SPLICE_RETRY_AFTER_MS);
      this.deps.log.info(
        { peer: link.peerId.slice(0, 8), relay: relayUrl },
        `relay link stays on its circuit: ${(err as Error).message}`,
      );
    }
  }

  private resting(relayUrl: string): boolean {
    const until = this.failedUntil.get(relayUrl);
    if (until === undefined) return false;
    if (this.now() < until) return true;
    this.failedUntil.delete(relayUrl);
    return false;
  }
}
