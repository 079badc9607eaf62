/**
 * A shared terminal's link (docs/adr/0123-shared-terminals.md §Link), the sharer's side: a one-time
 * code of use `view` through pairing's rendezvous and PAKE (DomainCodes), as a file sent with a code
 * (ADR 0124). The first node that tries it spends it (one online guess: a wrong one ends the link).
 * The node that met it — a throwaway identity the PAKE confirmed, usually the relay's page — is
 * admitted by the node where the shell runs as a viewer of this one share (`admit`, the same
 * `terminal-share` request as a named viewer), then told `ready` over the sealed rendezvous with
 * where to go. Nothing of it is kept here: its place is in the share, and goes with it.
 */
import type { Logger } from 'pino';
import { ClawError, errorMessage } from '../../core/errors.js';
import { groupFingerprint, shortFingerprint } from '../../core/fingerprint.js';
import { SealedFrames, type SealedFramesSpec } from '../../crypto/sealed-frames.js';
import type { DomainCodes, MetCode } from '../../links/domain.js';
import { relayPageLink } from '../../protocol/pair-code.js';
import {
  MAX_SHARE_CODE_FRAME_PLAIN,
  readShareCodeFrame,
  SHARE_CODE_FRAGMENT,
  SHARE_CODE_KEY_SALT,
  SHARE_CODE_MARKER,
  SHARE_CODE_TAG_BYTES,
  SHARE_CODE_USE,
  shareCodeNonce,
  type ShareCodeFrame,
  type ShareCodeRole,
} from '../../protocol/share-code-frames.js';
import type { NamedNode } from './share-registry.js';

/** A link's lifetime when the sharer names none, in ms (1 h, the issue's default for a link). */
export const LINK_TTL_MS = 3_600_000;
/**
 * Longest a link's code stays open, in ms (24 h): the code lives as long as the share, up to this; a
 * longer share is watched by link only in its first day (a timer cannot wait beyond ~24.8 days, and a
 * code open for weeks is one waiting to be guessed at leisure).
 */
export const MAX_LINK_CODE_MS = 24 * 3_600_000;
/** Most links open at once on this node: each is one code on every relay. */
export const MAX_OPEN_LINKS = 16;

const SHARE_CODE_FRAMES: SealedFramesSpec<ShareCodeFrame, ShareCodeRole> = {
  marker: SHARE_CODE_MARKER,
  salt: SHARE_CODE_KEY_SALT,
  tagBytes: SHARE_CODE_TAG_BYTES,
  maxPlain: MAX_SHARE_CODE_FRAME_PLAIN,
  nonce: shareCodeNonce,
  read: readShareCodeFrame,
  other: (role) => (role === 'sharer' ? 'viewer' : 'sharer'),
  frameName: 'a share link frame',
  retry: 'ask the sharer for a new link',
  updateWho: 'the page or the sharer',
};

/** One side's sealing and opening of a link's frames. */
export class ShareCodeChannel extends SealedFrames<ShareCodeFrame, ShareCodeRole> {
  constructor(sessionKey: Uint8Array, self: ShareCodeRole) {
    super(SHARE_CODE_FRAMES, sessionKey, self);
  }
}

/** The name a link's viewer has in its share: what both it and the sharer can read off a screen. */
export const linkViewerName = (fingerprint: string): string =>
  `link viewer ${groupFingerprint(shortFingerprint(fingerprint))}`;

/** What a link lets its holder watch. */
export interface LinkTarget {
  /** The terminal's ID on the sharer (`terminal.list`). */
  terminal: string;
  /** The node where the shell runs, and the share there. */
  host: NamedNode;
  share: string;
  sharerName: string;
  write: boolean;
}

/** A link as its issuer answers it. */
export interface IssuedLink {
  code: string;
  /** The relay's page with the code (`…/#watch=CODE`). */
  link: string;
  /** When the code stops being accepted. */
  codeExpiresAt: string;
}

type LinkState = 'open' | 'checking' | 'met' | 'failed' | 'retired';

interface Link {
  target: LinkTarget;
  code: string;
  state: LinkState;
}

export class ShareLinks {
  private readonly links = new Set<Link>();

  constructor(
    private readonly codes: Pick<DomainCodes, 'issue' | 'retire'>,
    /** Has the node where the shell runs admit `viewer` to the target's share, as a named viewer is. */
    private readonly admit: (target: LinkTarget, viewer: NamedNode) => Promise<void>,
    private readonly log: Pick<Logger, 'info' | 'warn'>,
  ) {}

  /**
   * A new code for `target`, open for `ttlMs` (at most MAX_LINK_CODE_MS).
   * @throws ClawError('BAD_ARGUMENT') when too many links are open, ('RELAY_UNREACHABLE') when this
   *   node has no relay for a page to meet it on; pairing's errors for the code
   */
  async issue(target: LinkTarget, ttlMs: number): Promise<IssuedLink> {
    const open = [...this.links].filter((l) => l.state === 'open').length;
    if (open >= MAX_OPEN_LINKS)
      throw new ClawError(
        'BAD_ARGUMENT',
        `${MAX_OPEN_LINKS} share links are open on this node already: wait for one to be used or to expire, or unshare`,
      );
    const link: Link = { target, code: '', state: 'open' };
    const issued = await this.codes.issue(Math.min(ttlMs, MAX_LINK_CODE_MS), (met) => this.met(link, met), {
      use: SHARE_CODE_USE,
      onSpent: () => {
        if (link.state === 'open') link.state = 'checking';
      },
      onFailed: (why) => this.failed(link, why),
    });
    link.code = issued.code;
    const page = relayPageLink(issued.invite, issued.code, SHARE_CODE_FRAGMENT);
    if (!page) {
      this.codes.retire(issued.code);
      throw new ClawError(
        'RELAY_UNREACHABLE',
        'a link needs a relay: the page that watches it is served by one, and meets the code there; start the agent with --relay URL',
      );
    }
    this.links.add(link);
    // The code retires itself at its TTL; the record goes then too.
    const expiry = setTimeout(() => this.links.delete(link), Date.parse(issued.expiresAt) - Date.now());
    expiry.unref();
    return { code: issued.code, link: page, codeExpiresAt: issued.expiresAt };
  }

  /** Terminal `terminal`'s share ended (unshared, its terminal exited): its codes are retired. */
  retire(terminal: string): void {
    for (const link of [...this.links]) {
      if (link.target.terminal !== terminal) continue;
      if (link.state === 'open') this.codes.retire(link.code);
      link.state = 'retired';
      this.links.delete(link);
    }
  }

  /** Every link is retired (the agent stops). */
  stop(): void {
    for (const link of [...this.links]) this.retire(link.target.terminal);
  }

  /** The PAKE with the code failed: one guess per code, so the link ends. */
  private failed(link: Link, why: string): void {
    if (link.state === 'retired') return;
    link.state = 'failed';
    this.links.delete(link);
    this.log.warn(
      { share: link.target.share },
      `a wrong code was tried for the link to share ${link.target.share} (${why}); the link ended`,
    );
  }

  /** Someone met the code: it becomes a viewer of the share where the shell runs, then is told where. */
  private async met(link: Link, met: MetCode): Promise<void> {
    const channel = new ShareCodeChannel(met.sessionKey, 'sharer');
    const refuse = (reason: string) => met.send(channel.seal({ t: 'refused', reason: reason.slice(0, 300) }));
    if (link.state === 'retired' || link.state === 'failed')
      return refuse('the share ended; ask the sharer for a new link');
    link.state = 'met';
    this.links.delete(link);
    const { target } = link;
    const viewer = { fingerprint: met.peer.fingerprint, name: linkViewerName(met.peer.fingerprint) };
    try {
      await this.admit(target, viewer);
    } catch (err) {
      this.log.warn({ share: target.share }, `the link's viewer could not be admitted: ${errorMessage(err)}`);
      return refuse(`${target.host.name} did not admit this viewer: ${errorMessage(err)}`);
    }
    this.log.info({ share: target.share, by: viewer.fingerprint }, `share ${target.share} joined by link`);
    met.send(
      channel.seal({
        t: 'ready',
        host: { fingerprint: target.host.fingerprint, name: target.host.name },
        share: target.share,
        sharerName: target.sharerName,
        write: target.write,
      }),
    );
  }
}
