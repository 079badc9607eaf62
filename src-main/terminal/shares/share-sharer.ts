/**
 * The sharer's side of shared terminals (docs/adr/0123-shared-terminals.md): the node that opened a
 * terminal on a peer asks that peer — where the shell runs and where the share is kept — to share it,
 * list its viewers, revoke one or stop, and tells each viewer it named over their own link.
 */
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { ClawError, errorMessage } from '../../core/errors.js';
import type { DomainPeers } from '../../links/domain.js';
import { resolvePeer } from '../../links/resolve-peer.js';
import type { ReadonlyPeerEntry } from '../../links/ports.js';
import type { ViewerSessions } from '../viewer-sessions.js';
import type { ShareInfo, ShareMethodResults, SharedSessionInfo } from './share-contract.js';
import { groupViewers, type GroupViewer, type SharedGroup } from './share-group.js';
import { LINK_TTL_MS, type ShareLinks } from './share-link.js';
import {
  TERMINAL_OFFER_SERVICE,
  TERMINAL_SHARE_SERVICE,
  type OfferWire,
  type ShareAnswer,
  type ShareRequestWire,
} from './share-wire.js';

/** Longest answer line from the node where the shell runs (64 KiB: 32 viewers with room to spare). */
const MAX_ANSWER_BYTES = 64 * 1024;
/** Most viewers one share request names (share-wire.ts). */
const MAX_VIEWERS = 32;
/** How long that node may take to answer, in ms. */
const ANSWER_MS = 15_000;

type Peers = Pick<DomainPeers, 'peerEntries' | 'peerEntry' | 'openStream' | 'homeRelay' | 'self'>;

export class ShareSharer {
  /** The share of each terminal here that has one, as its node answered last, and whom it was offered. */
  private readonly shares = new Map<string, ShareInfo & { offered: Set<string> }>();

  constructor(
    private readonly viewers: Pick<ViewerSessions, 'list' | 'remote' | 'events'>,
    private readonly peers: Peers,
    private readonly log: Logger,
    /** The groups this node is in, as the groups domain sees them now (none: no groups domain). */
    private readonly groups: () => readonly SharedGroup[] = () => [],
    /** The links' codes (none: sharing by link is refused). */
    private readonly links?: ShareLinks,
  ) {
    // The terminal exited: its share ended with it on the node where it ran, so each viewer told of
    // it hears so and stops dialing there (one not watching would not learn it from a view).
    viewers.events.on('terminal', (e) => {
      if (e.state === 'exited') this.ended(e.id);
    });
  }

  sessions(): SharedSessionInfo[] {
    return this.viewers.list().map((t) => {
      const share = this.shares.get(t.id);
      return {
        id: t.id,
        peer: t.peer,
        peerName: t.peerName,
        state: t.state,
        startedAt: t.startedAt,
        ...(share
          ? {
              share: {
                share: share.share,
                viewers: share.viewers,
                ...(share.expiresAt ? { expiresAt: share.expiresAt } : {}),
              },
            }
          : {}),
      };
    });
  }

  async share(p: {
    id: string;
    with?: string[] | undefined;
    group?: string | undefined;
    link?: true | undefined;
    write?: boolean | undefined;
    expiresMs?: number | undefined;
  }): Promise<ShareMethodResults['terminal.share']> {
    if ([p.with, p.group, p.link].filter((x) => x !== undefined).length !== 1)
      throw new ClawError(
        'BAD_ARGUMENT',
        'share with named peers (with), with a group (group) or by a link (link), exactly one of the three',
      );
    const { info, session } = this.viewers.remote(p.id);
    if (p.link) return this.shareByLink(p.id, info, session, p.write === true, p.expiresMs);
    // A link's viewer is no peer here: named (by name or fingerprint) it is switched, never told.
    const linked = this.linkViewers(p.id, p.with ?? []);
    const refs = (p.with ?? []).filter((ref) => !linked.some((v) => v.ref === ref));
    const named = p.group === undefined ? this.namedPeers(refs, info.peer) : undefined;
    const inGroup = named ? [] : this.groupDevices(p.group ?? '', info.peer);
    const viewers = named
      ? [
          ...linked.map((v) => ({ fingerprint: v.fingerprint, name: v.name })),
          ...named.map((e) => ({ fingerprint: e.record.fingerprint, name: e.record.name })),
        ]
      : inGroup;
    const write = p.write === true;
    const answer = await this.ask(info.peer, {
      op: 'add',
      session,
      viewers,
      write,
      ...(p.expiresMs !== undefined ? { expiresAt: Date.now() + p.expiresMs } : {}),
    });
    const kept = this.keep(p.id, answer);
    const host = this.peers.peerEntry(info.peer);
    const relay = this.peers.homeRelay(info.peer);
    const offer: OfferWire = {
      op: 'offer',
      share: answer.share,
      host: { fingerprint: info.peer, name: info.peerName },
      ...(relay
        ? { relay: { url: relay.url, ...(relay.fingerprint ? { fingerprint: relay.fingerprint } : {}) } }
        : {}),
      ...(host && host.record.addresses.length > 0
        ? { addresses: host.record.addresses.slice(0, 16).map((a) => a.address) }
        : {}),
      what: 'terminal',
      write,
      // The viewer drops the offer then, and stops dialing the host for it.
      ...(answer.expiresAt ? { expiresAt: Date.parse(answer.expiresAt) } : {}),
    };
    if (named) {
      // Each named peer hears of it over its own link; one that cannot be told now fails the call.
      await Promise.all(
        named.map(async (e) => {
          try {
            await this.tell(e, offer);
            kept.offered.add(e.record.fingerprint);
          } catch (err) {
            this.log.warn(`could not tell ${e.record.name} of the shared terminal: ${errorMessage(err)}`);
            throw new ClawError(
              'PEER_OFFLINE',
              `shared on ${info.peerName}, but ${e.record.name} could not be told: ${errorMessage(err)}`,
            );
          }
        }),
      );
      return { id: p.id, ...this.public(kept) };
    }
    // A group's device offline now is usual: the others are told, and the answer names the rest.
    const untold: string[] = [];
    await Promise.all(
      inGroup.map(async (v) => {
        const entry = this.peers.peerEntry(v.fingerprint);
        try {
          if (!entry) throw new ClawError('PEER_NOT_FOUND', 'no link to it from here');
          await this.tell(entry, offer);
          kept.offered.add(v.fingerprint);
        } catch (err) {
          this.log.warn(`could not tell ${v.name} of the shared terminal: ${errorMessage(err)}`);
          untold.push(v.name === v.device ? v.name : `${v.name} (${v.device})`);
        }
      }),
    );
    return { id: p.id, ...this.public(kept), ...(untold.length > 0 ? { untold } : {}) };
  }

  /**
   * Shares terminal `id` by a link (share-link.ts): the share is made where the shell runs with no
   * viewer yet (a link on a fresh share ends in an hour unless `expiresMs` says; one already shared
   * keeps its end), and the code's holder is added to it once it met the code.
   */
  private async shareByLink(
    id: string,
    info: { peer: string; peerName: string },
    session: string,
    write: boolean,
    expiresMs: number | undefined,
  ): Promise<ShareMethodResults['terminal.share']> {
    const links = this.links;
    if (!links) throw new ClawError('BAD_ARGUMENT', 'this node cannot share by link');
    const fresh = !this.shares.has(id);
    const ends = expiresMs ?? (fresh ? LINK_TTL_MS : undefined);
    const answer = await this.ask(info.peer, {
      op: 'add',
      session,
      viewers: [],
      write,
      ...(ends !== undefined ? { expiresAt: Date.now() + ends } : {}),
    });
    const kept = this.keep(id, answer);
    const left = kept.expiresAt ? Date.parse(kept.expiresAt) - Date.now() : LINK_TTL_MS;
    try {
      const issued = await links.issue(
        {
          terminal: id,
          host: { fingerprint: info.peer, name: info.peerName },
          share: answer.share,
          sharerName: this.peers.self().name,
          write,
        },
        Math.max(1000, left),
      );
      return { id, ...this.public(kept), ...issued };
    } catch (err) {
      // A share made for this link alone, whose code could not be issued, is not left behind.
      if (fresh && kept.viewers.length === 0) await this.unshare(id).catch(() => undefined);
      throw err;
    }
  }

  /** Adds a link's viewer to terminal `id`'s share where it runs (share-link.ts `admit`). */
  async admitLinkViewer(
    id: string,
    viewer: { fingerprint: string; name: string },
    write: boolean,
  ): Promise<void> {
    const { info, session } = this.viewers.remote(id);
    this.keep(id, await this.ask(info.peer, { op: 'add', session, viewers: [viewer], write }));
  }

  /** The viewers of terminal `id`'s share that `refs` name and that are no peer here (a link's). */
  private linkViewers(
    id: string,
    refs: readonly string[],
  ): { ref: string; fingerprint: string; name: string }[] {
    const kept = this.shares.get(id);
    if (!kept) return [];
    return refs.flatMap((ref) => {
      const v = kept.viewers.find((x) => x.name === ref || x.fingerprint === ref.toLowerCase());
      return v && !this.peers.peerEntry(v.fingerprint)
        ? [{ ref, fingerprint: v.fingerprint, name: v.name }]
        : [];
    });
  }

  private namedPeers(refs: string[], host: string): ReadonlyPeerEntry[] {
    const named = refs.map((ref) => resolvePeer(this.peers, ref));
    for (const e of named) {
      if (e.record.fingerprint === host)
        throw new ClawError(
          'BAD_ARGUMENT',
          `${e.record.name} runs this terminal already; name someone else to share it with`,
        );
    }
    return named;
  }

  /** Group `ref`'s devices now but this node and the host (share-group.ts), at most a share's 32. */
  private groupDevices(ref: string, host: string): GroupViewer[] {
    const self = this.peers.self().fingerprint;
    const { group, viewers } = groupViewers(this.groups(), ref, new Set([self, host]));
    if (viewers.length > MAX_VIEWERS)
      throw new ClawError(
        'BAD_ARGUMENT',
        `group '${group.name}' has ${viewers.length} other devices, more than a share's ${MAX_VIEWERS}; name peers with --with`,
      );
    return viewers;
  }

  async viewersOf(id: string): Promise<ShareMethodResults['terminal.viewers']> {
    const { info } = this.viewers.remote(id);
    const kept = this.keep(id, await this.ask(info.peer, { op: 'viewers', share: this.shareOf(id).share }));
    return { id, ...this.public(kept) };
  }

  async revoke(id: string, viewer: string): Promise<ShareMethodResults['terminal.revoke']> {
    const { info } = this.viewers.remote(id);
    const share = this.shareOf(id);
    const who =
      share.viewers.find((v) => v.name === viewer || v.fingerprint.startsWith(viewer.toLowerCase())) ??
      (() => {
        throw new ClawError(
          'BAD_ARGUMENT',
          `no viewer '${viewer}' in this share; sessions viewers ${id} lists them`,
        );
      })();
    const kept = this.keep(
      id,
      await this.ask(info.peer, { op: 'revoke', share: share.share, viewer: who.fingerprint }),
    );
    const entry = this.peers.peerEntry(who.fingerprint);
    if (entry) void this.tell(entry, { op: 'withdraw', share: share.share }).catch(() => undefined);
    return { id, ...this.public(kept) };
  }

  async unshare(id: string): Promise<ShareMethodResults['terminal.unshare']> {
    const { info } = this.viewers.remote(id);
    const share = this.shareOf(id);
    this.links?.retire(id);
    await this.ask(info.peer, { op: 'unshare', share: share.share });
    this.shares.delete(id);
    this.withdraw(share);
    return { id, share: share.share };
  }

  /** Terminal `id` ended: its share is gone, and its viewers are told so. */
  private ended(id: string): void {
    this.links?.retire(id);
    const share = this.shares.get(id);
    if (!share) return;
    this.shares.delete(id);
    this.withdraw(share);
  }

  private withdraw(share: ShareInfo & { offered: Set<string> }): void {
    for (const fp of share.offered) {
      const entry = this.peers.peerEntry(fp);
      if (entry) void this.tell(entry, { op: 'withdraw', share: share.share }).catch(() => undefined);
    }
  }

  private shareOf(id: string): ShareInfo & { offered: Set<string> } {
    const s = this.shares.get(id);
    if (!s)
      throw new ClawError(
        'BAD_ARGUMENT',
        `terminal '${id}' is not shared; sessions share ${id} --with NAME shares it`,
      );
    return s;
  }

  private keep(id: string, a: Extract<ShareAnswer, { ok: true }>): ShareInfo & { offered: Set<string> } {
    const had = this.shares.get(id);
    const kept = {
      share: a.share,
      viewers: a.viewers,
      ...(a.expiresAt ? { expiresAt: a.expiresAt } : {}),
      offered: had?.offered ?? new Set<string>(),
    };
    this.shares.set(id, kept);
    return kept;
  }

  private public(s: ShareInfo & { offered: Set<string> }): ShareInfo {
    return { share: s.share, viewers: s.viewers, ...(s.expiresAt ? { expiresAt: s.expiresAt } : {}) };
  }

  /** Asks the node where the shell runs; its refusal comes back as a ClawError with its words. */
  private async ask(host: string, req: ShareRequestWire): Promise<Extract<ShareAnswer, { ok: true }>> {
    const entry = this.peers.peerEntry(host);
    if (!entry)
      throw new ClawError('PEER_NOT_FOUND', 'the node this terminal runs on is no longer a peer here');
    const { stream } = await this.peers.openStream(entry, TERMINAL_SHARE_SERVICE, req);
    stream.end();
    const line = await readAnswer(stream);
    let a: ShareAnswer;
    try {
      a = JSON.parse(line) as ShareAnswer;
    } catch {
      throw new ClawError(
        'PROTOCOL',
        `${entry.record.name} answered the share request with something that is not JSON`,
      );
    }
    if (!a.ok) throw new ClawError('STREAM_REJECTED', `${entry.record.name}: ${a.message}`);
    return a;
  }

  private async tell(entry: ReadonlyPeerEntry, offer: OfferWire): Promise<void> {
    const { stream } = await this.peers.openStream(entry, TERMINAL_OFFER_SERVICE, offer);
    stream.end();
    await readAnswer(stream);
  }
}

/** The one line a stream answers with, bounded in size and time. */
export function readAnswer(stream: Duplex): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(
      () => done(new ClawError('TIMEOUT', `no answer within ${ANSWER_MS / 1000} s`)),
      ANSWER_MS,
    );
    const done = (err?: Error) => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.on('error', () => undefined);
      stream.destroy();
      if (err) reject(err);
      else resolve(text.split('\n')[0] ?? '');
    };
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.length > MAX_ANSWER_BYTES) done(new ClawError('PROTOCOL', 'the answer was too long'));
      else if (text.includes('\n')) done();
    };
    const onEnd = () => done();
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.once('error', (err) => done(err));
  });
}
