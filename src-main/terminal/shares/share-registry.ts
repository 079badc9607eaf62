/**
 * The shares of the terminal sessions served here (docs/adr/0123-shared-terminals.md): each names one
 * session, the opener who shared it, and its viewers — each let in as a guest of this node for the
 * `terminal-view` service and `terminal-present` alone, watching or typing. Kept in memory: a share is a view of a live
 * session and ends with it, at its expiry, when its opener stops it, or with the agent. Each join,
 * switch and leave goes to `audit`, with who.
 */
import { randomBytes } from 'node:crypto';
import { Emitter, type Disposer } from '../../core/emitter.js';
import { ClawError } from '../../core/errors.js';
import type { Guest, GuestSource } from '../../services/admission.js';
import type { PresentViewer } from './share-contract.js';
import {
  noShareFor,
  shareOver,
  TERMINAL_PRESENT_SERVICE,
  TERMINAL_VIEW_SERVICE,
  type ShareAuditEvent,
  type ShareViewerInfo,
} from './share-wire.js';

// Here too for those that import it from the registry; share-wire.ts holds it for every client.
export { TERMINAL_VIEW_SERVICE };

/** Most viewers on one share: each costs a watcher's bounded backlog here. */
export const MAX_SHARE_VIEWERS = 32;

/** Most shares at once on this node. */
export const MAX_SHARES = 256;

/**
 * How long a viewer whose share ended is refused as such, rather than taken for a stranger whose
 * knock is a pair request (1 h): its node may dial a little longer until it hears the share is over.
 */
export const ENDED_REFUSAL_MS = 3_600_000;

/** Most such viewers remembered; the oldest are forgotten first. */
const MAX_ENDED = 4096;

export interface NamedNode {
  readonly fingerprint: string;
  readonly name: string;
}

interface Viewer extends NamedNode {
  readonly device: string;
  write: boolean;
  readonly since: string;
  /** Ends each of its view streams now, with the reason its viewer reads. */
  readonly streams: Set<(reason: string) => void>;
}

export interface Share {
  readonly id: string;
  /** The session's ID where it runs (here). */
  readonly session: string;
  readonly opener: NamedNode;
  readonly what: string;
  readonly viewers: Map<string, Viewer>;
  expiresAt: string | undefined;
  timer: unknown;
}

/** The registry's time: the real one, or a test's. */
export interface ShareClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: ShareClock = {
  now: Date.now,
  // A share's expiry does not keep a stopping process up.
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface ShareRequest {
  session: string;
  opener: NamedNode;
  what: string;
  /** `device`: its node's device name, when the sharer names it apart (absent: `name`). */
  viewers: readonly (NamedNode & { device?: string | undefined })[];
  write: boolean;
  /** When it ends, in ms since the epoch; absent: with its session. */
  expiresAt?: number | undefined;
}

export class ShareRegistry implements GuestSource {
  private readonly shares = new Map<string, Share>();
  private readonly events = new Emitter<{ change: [] }>();
  /** Viewers whose share ended, by fingerprint: when, and the sharer's name. */
  private readonly ended = new Map<string, { at: number; sharer: string }>();

  constructor(
    private readonly audit: (event: ShareAuditEvent) => void,
    private readonly clock: ShareClock = realClock,
  ) {}

  /**
   * Shares `req.session` with `req.viewers`, or, when its opener shared it already, adds them to that
   * share and sets each one's write to `req.write` (a switch for a viewer already there).
   */
  share(req: ShareRequest): Share {
    let share = [...this.shares.values()].find(
      (s) => s.session === req.session && s.opener.fingerprint === req.opener.fingerprint,
    );
    if (!share) {
      if (this.shares.size >= MAX_SHARES)
        throw new ClawError('BAD_ARGUMENT', `this node has ${MAX_SHARES} shares already; unshare some first`);
      const id = randomBytes(8).toString('hex');
      share = {
        id,
        session: req.session,
        opener: req.opener,
        what: req.what,
        viewers: new Map(),
        expiresAt: undefined,
        timer: undefined,
      };
      this.shares.set(id, share);
    }
    // Those in it already are switched, not added: sharing a group again must not count them twice.
    const have = share.viewers;
    const added = new Set(req.viewers.map((v) => v.fingerprint).filter((fp) => !have.has(fp)));
    if (share.viewers.size + added.size > MAX_SHARE_VIEWERS)
      throw new ClawError('BAD_ARGUMENT', `a share has at most ${MAX_SHARE_VIEWERS} viewers`);
    for (const v of req.viewers) {
      const had = share.viewers.get(v.fingerprint);
      if (had) this.setWrite(share, had, req.write);
      else
        share.viewers.set(v.fingerprint, {
          fingerprint: v.fingerprint,
          name: v.name,
          device: v.device ?? v.name,
          write: req.write,
          since: new Date(this.clock.now()).toISOString(),
          streams: new Set(),
        });
    }
    if (req.expiresAt !== undefined) this.expireAt(share, req.expiresAt);
    this.events.emit('change');
    return share;
  }

  /** The share `id` if `opener` made it. */
  ofOpener(id: string, opener: string): Share | undefined {
    const s = this.shares.get(id);
    return s && s.opener.fingerprint === opener ? s : undefined;
  }

  /**
   * Admits `viewer` to share `id`'s view stream, whose end `end` is: its place, or why not (a whole
   * sentence naming this node, `self`, as its client shows it).
   */
  join(
    id: string,
    viewer: string,
    end: (reason: string) => void,
    self: string,
  ): { share: Share; leave: () => void } {
    const share = this.shares.get(id);
    const v = share?.viewers.get(viewer);
    if (!share || !v) throw new ClawError('STREAM_REJECTED', noShareFor(self, id));
    v.streams.add(end);
    this.audit({
      event: 'join',
      share: share.id,
      session: share.session,
      sharer: share.opener,
      viewer: v,
      write: v.write,
    });
    let left = false;
    const leave = () => {
      if (left) return;
      left = true;
      v.streams.delete(end);
      this.audit({
        event: 'leave',
        share: share.id,
        session: share.session,
        sharer: share.opener,
        viewer: v,
        write: v.write,
      });
    };
    return { share, leave };
  }

  /** Whether `viewer` may type into share `id` now (read at each frame: a switch applies at once). */
  mayWrite(id: string, viewer: string): boolean {
    return this.shares.get(id)?.viewers.get(viewer)?.write === true;
  }

  /** The viewers of share `id`. */
  viewers(share: Share): ShareViewerInfo[] {
    return [...share.viewers.values()].map((v) => ({
      fingerprint: v.fingerprint,
      name: v.name,
      device: v.device,
      write: v.write,
      since: v.since,
      watching: v.streams.size > 0,
    }));
  }

  /**
   * Who is in share `id`, for `asker`, one of its viewers (else undefined): the sharer's name and each
   * viewer's name, device, typing or not and open now or not, the asker marked — no fingerprint.
   */
  present(id: string, asker: string): { sharerName: string; viewers: PresentViewer[] } | undefined {
    const share = this.shares.get(id);
    if (!share?.viewers.has(asker)) return undefined;
    return {
      sharerName: share.opener.name,
      viewers: [...share.viewers.values()].map((v) => ({
        name: v.name,
        device: v.device,
        write: v.write,
        watching: v.streams.size > 0,
        ...(v.fingerprint === asker ? { you: true as const } : {}),
      })),
    };
  }

  /** Takes `viewer` out of the share: its streams end now, and it is no guest here any more. */
  revoke(share: Share, viewer: string): boolean {
    const v = share.viewers.get(viewer);
    if (!v) return false;
    share.viewers.delete(viewer);
    this.remember(v, share);
    for (const end of [...v.streams]) end(shareOver.revoked(share.opener.name));
    this.events.emit('change');
    return true;
  }

  /** Ends share `share`: every viewer's stream ends with `reason`. */
  unshare(share: Share, reason: string): void {
    if (this.shares.get(share.id) !== share) return;
    this.shares.delete(share.id);
    this.clock.clearTimeout(share.timer);
    for (const v of share.viewers.values()) {
      this.remember(v, share);
      for (const end of [...v.streams]) end(reason);
    }
    this.events.emit('change');
  }

  /** Session `session` ended here: its shares end with it. */
  sessionGone(session: string): void {
    for (const s of [...this.shares.values()])
      if (s.session === session) this.unshare(s, shareOver.terminalEnded);
  }

  /** Ends every share (the agent stops). */
  closeAll(reason: string): void {
    for (const s of [...this.shares.values()]) this.unshare(s, reason);
  }

  guests(): readonly Guest[] {
    const out: Guest[] = [];
    for (const s of this.shares.values()) {
      for (const v of s.viewers.values()) {
        out.push({
          fingerprint: v.fingerprint,
          name: v.name,
          allow: [],
          because: [`a terminal ${s.opener.name} shared`],
          dial: false,
          // Watching, and asking who else is there: both need a place in a share, nothing more.
          services: [TERMINAL_VIEW_SERVICE, TERMINAL_PRESENT_SERVICE],
        });
      }
    }
    return out;
  }

  onChange(listener: () => void): Disposer {
    return this.events.on('change', listener);
  }

  /** A viewer whose share ended lately: its knock is refused saying so, never a pair request. */
  refusal(fingerprint: string): string | undefined {
    const e = this.ended.get(fingerprint);
    if (!e || this.clock.now() - e.at > ENDED_REFUSAL_MS) return undefined;
    return `the terminal ${e.sharer} shared with this node has ended; nothing else here is open to it`;
  }

  private remember(v: Viewer, share: Share): void {
    this.ended.delete(v.fingerprint);
    this.ended.set(v.fingerprint, { at: this.clock.now(), sharer: share.opener.name });
    if (this.ended.size > MAX_ENDED) this.ended.delete(this.ended.keys().next().value!);
  }

  private setWrite(share: Share, v: Viewer, write: boolean): void {
    if (v.write === write) return;
    v.write = write;
    if (v.streams.size > 0)
      this.audit({
        event: 'switch',
        share: share.id,
        session: share.session,
        sharer: share.opener,
        viewer: v,
        write,
      });
  }

  private expireAt(share: Share, at: number): void {
    this.clock.clearTimeout(share.timer);
    share.expiresAt = new Date(at).toISOString();
    share.timer = this.clock.setTimeout(
      () => this.unshare(share, shareOver.expired),
      Math.max(0, at - this.clock.now()),
    );
  }
}
