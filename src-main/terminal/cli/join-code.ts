/**
 * `clawbridge sessions join CODE` (docs/adr/0123-shared-terminals.md §Link): a shared terminal's link
 * watched in this terminal with no agent, as the relay's page watches it. A throwaway node — an
 * identity made in memory, never written, no home read, no peer kept — meets the sharer's code on the
 * relay the link names (pairing/code-meet.ts, use `view`), dials the node where the shell runs as
 * the guest the sharer had it admit (links/guest-dial.ts) and watches the share there
 * (join-view.ts: opened again after a drop while that node still lets it in).
 */
import type { Duplex } from 'node:stream';
import { pino } from 'pino';
import { ClawError } from '../../core/errors.js';
import { groupFingerprint } from '../../core/fingerprint.js';
import { generateIdentity, type Identity } from '../../crypto/identity.js';
import { dialGuest, type GuestLink } from '../../links/guest-dial.js';
import { RelaySplicer } from '../../links/relay-splice.js';
import { meetCode, type CodeMeetSpec } from '../../pairing/code-meet.js';
import { codeNamed, parsePairCode } from '../../protocol/pair-code.js';
import {
  readShareLink,
  SHARE_CODE_USE,
  SHARE_CODE_WRONG_LINE,
  type ShareCodeFrame,
} from '../../protocol/share-code-frames.js';
import { RelayClient } from '../../transport/relay-client.js';
import { linkViewerName, ShareCodeChannel } from '../shares/share-link.js';
import { TERMINAL_VIEW_SERVICE } from '../shares/share-wire.js';
import type { ViewSource } from './join-view.js';

/** The name the viewer's throwaway node gives itself (the sharer names it by its fingerprint). */
export const JOINER_NAME = 'link viewer';
/** How long the sharer may take to answer after the PAKE, in ms: it has the shell's node admit this one first. */
const READY_TIMEOUT_MS = 30_000;

const SHARE_CODE_MEET: CodeMeetSpec<ShareCodeFrame> = {
  use: SHARE_CODE_USE,
  issuer: 'sharer',
  wrongLine: SHARE_CODE_WRONG_LINE,
  answer: 'the answer',
  answerTimeoutMs: READY_TIMEOUT_MS,
  open: (sessionKey, bytes, what) => new ShareCodeChannel(sessionKey, 'viewer').open(bytes, what),
};

/** The relay for a code alone, which names none (`--relay`, `--relay-fingerprint`). */
export interface JoinRelay {
  url: string;
  fingerprint?: string;
}

/** A link met: where the shell runs, and the view there. */
export interface JoinedLink {
  target: Extract<ShareCodeFrame, { t: 'ready' }>;
  /** This node's own fingerprint, as the sharer lists it. */
  own: string;
  /** The first view, and where the next ones come from. */
  first: Duplex;
  source: ViewSource;
}

/**
 * Meets the sharer of `text` (a code, or the relay page's link) and opens the share's view.
 * @throws ClawError('BAD_ARGUMENT') for a code alone with no relay; ('BAD_PAIR_CODE') for a code
 *   nobody waits for (used, expired); ('PAIRING_FAILED') for a wrong code (the link ends) or the
 *   sharer's refusal; the relay's errors when it cannot be reached; that node's refusal of the view
 */
export async function joinLink(text: string, given: JoinRelay | undefined): Promise<JoinedLink> {
  const link = readShareLink(text);
  const invite = { code: codeNamed('the share code', () => parsePairCode(link.code)) };
  // The link's own relay; a code alone names none.
  const url = link.relayUrl ?? given?.url;
  if (!url)
    throw new ClawError(
      'BAD_ARGUMENT',
      'a code alone names no relay: give the whole link the sharer printed (https://RELAY/#watch=CODE), or the relay with --relay URL',
    );
  const identity = await generateIdentity(JOINER_NAME);
  const relay = new RelayClient({
    url,
    identity,
    ...(given?.fingerprint ? { pinnedFingerprint: given.fingerprint } : {}),
    logger: pino({ level: 'silent' }),
  });
  relay.start();
  try {
    const met = await meetCode(relay, identity, JOINER_NAME, invite, SHARE_CODE_MEET);
    if (met.frame.t === 'refused')
      throw new ClawError('PAIRING_FAILED', `${met.name} refused: ${met.frame.reason}`);
    const source = new LinkViews(relay, identity, met.frame);
    const first = await source.open();
    return { target: met.frame, own: identity.fingerprint, first, source };
  } catch (err) {
    relay.stop();
    throw err;
  }
}

/** The first line `sessions join CODE` says: whose terminal, where, what this node may do and is called. */
export function joinedNote(j: Pick<JoinedLink, 'target' | 'own'>): string {
  const { target } = j;
  return `watching ${target.sharerName}'s terminal on ${target.host.name}${target.write ? '' : ' (read-only)'} as ${linkViewerName(j.own)} (${groupFingerprint(j.own)}); ~. leaves`;
}

/** The views of one share, over a guest link to where it runs that is dialed again when it went. */
class LinkViews implements ViewSource {
  private link: GuestLink | undefined;
  private stopped = false;
  /** Moves the link onto a splice through the relay, as the file receiver's (ADR 0013). */
  private readonly splicer: RelaySplicer;

  constructor(
    private readonly relay: RelayClient,
    private readonly identity: Identity,
    private readonly target: Extract<ShareCodeFrame, { t: 'ready' }>,
  ) {
    // The relay client lives as long as the watching: nothing to hold for a spliced link.
    this.splicer = new RelaySplicer({
      identity,
      log: pino({ level: 'silent' }),
      holdRelay: () => () => undefined,
    });
  }

  get hostName(): string {
    return this.target.host.name;
  }

  async open(): Promise<Duplex> {
    if (!this.link || this.link.mux.closed) {
      const dialed = await dialGuest({
        relay: this.relay,
        identity: this.identity,
        name: JOINER_NAME,
        host: this.target.host.fingerprint,
        splicer: this.splicer,
        // A viewer serves nothing: its host only answers it.
        onStream: (req) => req.reject('UNKNOWN_SERVICE', `a link viewer serves nothing ('${req.service}')`),
        stopped: () => this.stopped,
      });
      if (!dialed) throw new ClawError('LINK_CLOSED', 'left the share');
      this.link = dialed;
      // Refused here when that node no longer lets this viewer in (its share ended).
      await dialed.hello;
    }
    return this.link.mux.open(TERMINAL_VIEW_SERVICE, { share: this.target.share });
  }

  close(reason: string): void {
    this.stopped = true;
    this.link?.mux.close(reason);
    this.relay.stop();
  }
}
