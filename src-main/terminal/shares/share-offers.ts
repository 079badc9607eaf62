/**
 * The viewer's side of shared terminals (docs/adr/0123-shared-terminals.md): the shares peers offered
 * this node (`terminal-offer`, kept in memory), the node where each one's shell runs let in as a guest
 * this node dials and allows nothing, `terminal.join`, which opens the view stream there and
 * passes the terminal frames between it and the local viewer (`clawbridge sessions join`), and
 * `terminal.present`, which asks there who else is in the share.
 */
import type { Duplex } from 'node:stream';
import { describeZodError } from '../../core/zod-error.js';
import { Emitter, type Disposer } from '../../core/emitter.js';
import { ClawError, errorMessage, isClawError, refusalOf } from '../../core/errors.js';
import type { UpgradedStream } from '../../api/stream-upgrade.js';
import type { ViewerChannel } from '../../api/viewer-channel.js';
import type { DomainPeers } from '../../links/domain.js';
import type { Guest, GuestSource } from '../../services/admission.js';
import type { ServiceRegistry } from '../../services/services.js';
import {
  TerminalFrameDecoder,
  encodeTerminalFrame,
  fitText,
  type TerminalFrame,
} from '../../protocol/terminal-frames.js';
import { WATCH_EXIT_DRAIN_MS } from '../sessions/session-watchers.js';
import type { OfferInfo, ShareMethodResults, ShareStreamResults } from './share-contract.js';
import { TERMINAL_VIEW_SERVICE, type ShareClock } from './share-registry.js';
import { readAnswer } from './share-sharer.js';
import {
  offerWire,
  saysShareOver,
  shareOver,
  TERMINAL_OFFER_SERVICE,
  TERMINAL_PRESENT_SERVICE,
  presentAnswer,
  type OfferWire,
  type PresentAnswer,
} from './share-wire.js';

/** Most offers kept: a peer cannot make this node remember without bound. */
const MAX_OFFERS = 256;

type Offer = Extract<OfferWire, { op: 'offer' }> & {
  sharer: { fingerprint: string; name: string };
  /** Its expiry's timer, when it has one. */
  timer?: unknown;
};

const realClock: ShareClock = {
  now: Date.now,
  // An offer's expiry does not keep a stopping process up.
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * How long a view still open keeps its host let in once the offer went (withdrawn, expired). The
 * sharer's withdrawal and the host's end of the view travel on two links, and the withdrawal can come
 * first: hanging up on the host then cut the view before its last frame, which says why it ended, and
 * the window showed "reconnecting…" for good. The host ends the view itself; this bounds the wait.
 * At the terminal's end the host gives a viewer still behind WATCH_EXIT_DRAIN_MS to take the last
 * output, so the wait is longer than that: shorter, a viewer behind lost its last lines here.
 */
export const VIEW_LINGER_MS = WATCH_EXIT_DRAIN_MS + 5_000;

/**
 * Frames the viewer's own terminal takes from the node where the shell runs; the rest is that link's.
 * RESIZE is the shell's terminal size, which the viewer's screen takes (ADR 0123 §Sizes).
 */
export const TO_VIEWER: ReadonlySet<TerminalFrame['type']> = new Set([
  'data',
  'stderr',
  'exit',
  'error',
  'resize',
]);

/** What a viewer is told when the node it watches sends bytes that are no terminal frames. */
export const BROKE_PROTOCOL = { type: 'error', message: 'the shared terminal broke the protocol' } as const;

/**
 * The frames `chunk` completes, or undefined once the watched node's bytes are no terminal frames:
 * the view is over then, and the viewer is told BROKE_PROTOCOL.
 */
export function framesFromHost(decoder: TerminalFrameDecoder, chunk: Buffer): TerminalFrame[] | undefined {
  try {
    return decoder.push(chunk);
  } catch {
    return undefined;
  }
}

export class ShareOffers implements GuestSource {
  private readonly offers = new Map<string, Offer>();
  /** The view streams open here, by the offer each joined (kept on after the offer went: VIEW_LINGER_MS). */
  private readonly views = new Map<Offer, { streams: Set<Duplex>; linger?: unknown }>();
  private readonly events = new Emitter<{ change: [] }>();

  constructor(
    private readonly peers: Pick<DomainPeers, 'peerEntry' | 'openStream'>,
    private readonly clock: ShareClock = realClock,
  ) {}

  /** Registers `terminal-offer` and lets the offers' hosts in. */
  serve(services: Pick<ServiceRegistry, 'register' | 'admitGuests'>): void {
    services.admitGuests(this);
    services.register(TERMINAL_OFFER_SERVICE, {
      // Any peer may tell this node of a share; it only makes this node dial that share's host, which
      // is allowed nothing here.
      permission: null,
      noun: 'shared terminals',
      admits: 'held',
      handle: (req, admission) => {
        const parsed = offerWire().safeParse(req.args);
        if (!parsed.success) return req.reject('BAD_REQUEST', `bad offer: ${describeZodError(parsed.error)}`);
        const o = parsed.data;
        if (o.op === 'withdraw') {
          const had = this.offers.get(o.share);
          if (had && had.sharer.fingerprint === req.peer.fingerprint) this.drop(had);
        } else if (this.offers.size < MAX_OFFERS || this.offers.has(o.share)) {
          this.keep({ ...o, sharer: { fingerprint: req.peer.fingerprint, name: req.peer.name } });
        }
        const stream = admission.hold();
        stream.on('error', () => undefined);
        stream.resume();
        stream.end('{"ok":true}\n');
      },
    });
  }

  list(): OfferInfo[] {
    return [...this.offers.values()].map((o) => info(o));
  }

  guests(): readonly Guest[] {
    const out = new Map<string, Guest>();
    for (const o of new Set([...this.offers.values(), ...this.views.keys()])) {
      out.set(o.host.fingerprint, {
        fingerprint: o.host.fingerprint,
        name: o.host.name,
        allow: [],
        because: [`a terminal ${o.sharer.name} shared`],
        dial: true,
        // It may open nothing here: this node goes there to watch.
        services: [],
        ...(o.addresses ? { addresses: o.addresses } : {}),
        ...(o.relay ? { homeRelay: o.relay } : {}),
      });
    }
    return [...out.values()];
  }

  onChange(listener: () => void): Disposer {
    return this.events.on('change', listener);
  }

  /** `terminal.join`: the view stream of share `share`, for a local viewer. */
  async join(p: { share: string }): Promise<UpgradedStream<'terminal.join'>> {
    const o = this.offers.get(p.share);
    if (!o)
      throw new ClawError(
        'BAD_ARGUMENT',
        `no terminal shared with this node as '${p.share}'; sessions lists them`,
      );
    const entry = this.peers.peerEntry(o.host.fingerprint);
    if (!entry)
      throw new ClawError(
        'PEER_OFFLINE',
        `${o.host.name}, where the shared terminal runs, is not reachable yet; try again`,
      );
    const { stream } = await this.peers
      .openStream(entry, TERMINAL_VIEW_SERVICE, { share: p.share })
      .catch((err: unknown) => {
        // The host refused: the share is over there (ended, expired, revoked), so this node stops
        // dialing it for that share.
        if (isClawError(err, 'STREAM_REJECTED')) this.drop(o);
        throw err;
      });
    this.watch(o, stream);
    const result: ShareStreamResults['terminal.join'] = info(o);
    // Cut without the host's last frame (its link went, or the offer went and the wait ran out): the
    // viewer still reads why, in the host's words' stead.
    const cut = (err: Error | undefined) =>
      this.offers.get(o.share) === o
        ? `the connection to ${o.host.name} was lost${err ? `: ${errorMessage(err)}` : ''}`
        : shareOver.revoked(o.sharer.name);
    return {
      result,
      // The host saying the share is over (its terminal exited, or an error line that says so; not
      // "fell behind", after which the viewer joins again) drops the offer: no more dialing there.
      attach: (channel) => pass(stream, channel, () => this.drop(o), cut),
      cancel: () => stream.destroy(),
    };
  }

  /** `terminal.present`: who is in share `share`, as the node where it runs says now. */
  async present(share: string): Promise<ShareMethodResults['terminal.present']> {
    const o = this.offers.get(share);
    if (!o)
      throw new ClawError(
        'BAD_ARGUMENT',
        `no terminal shared with this node as '${share}'; sessions lists them`,
      );
    const host = o.host.name;
    const entry = this.peers.peerEntry(o.host.fingerprint);
    if (!entry)
      throw new ClawError(
        'PEER_OFFLINE',
        `${host}, where the shared terminal runs, is not reachable yet; try again`,
      );
    const { stream } = await this.peers
      .openStream(entry, TERMINAL_PRESENT_SERVICE, { share })
      .catch((err: unknown) => {
        if (refusalOf(err) !== 'UNKNOWN_SERVICE') throw err;
        throw new ClawError(
          'STREAM_REJECTED',
          `${host} runs a release that does not tell viewers who else is there; it needs an update`,
        );
      });
    stream.end();
    const line = await readAnswer(stream);
    let a: PresentAnswer;
    try {
      a = presentAnswer().parse(JSON.parse(line));
    } catch {
      throw new ClawError('PROTOCOL', `${host} answered who is there with something this node cannot read`);
    }
    if (!a.ok) throw new ClawError('STREAM_REJECTED', `${host}: ${a.message}`);
    return { share, hostName: host, sharerName: a.sharerName, viewers: a.viewers };
  }

  /** Keeps `o`'s host let in while `stream`, a view of it, is open (see VIEW_LINGER_MS). */
  private watch(o: Offer, stream: Duplex): void {
    const view = this.views.get(o) ?? { streams: new Set<Duplex>() };
    this.views.set(o, view);
    view.streams.add(stream);
    stream.once('close', () => {
      view.streams.delete(stream);
      if (view.streams.size > 0 || this.views.get(o) !== view) return;
      this.views.delete(o);
      this.clock.clearTimeout(view.linger);
      // Its host stays let in only while the offer does.
      if (this.offers.get(o.share) !== o) this.events.emit('change');
    });
  }

  /** Keeps offer `o` (in place of one with its ID), until its expiry when it carries one. */
  private keep(o: Offer): void {
    const had = this.offers.get(o.share);
    if (had) this.clock.clearTimeout(had.timer);
    this.offers.set(o.share, o);
    if (o.expiresAt !== undefined) {
      const left = o.expiresAt - this.clock.now();
      if (left <= 0) return this.drop(o);
      o.timer = this.clock.setTimeout(() => this.drop(o), left);
    }
    this.events.emit('change');
  }

  /** Forgets offer `o` (if it is still the one kept): its host is dialed no more for it. */
  private drop(o: Offer): void {
    if (this.offers.get(o.share) !== o) return;
    this.clock.clearTimeout(o.timer);
    this.offers.delete(o.share);
    const view = this.views.get(o);
    if (view)
      view.linger ??= this.clock.setTimeout(() => {
        for (const stream of view.streams) stream.destroy();
      }, VIEW_LINGER_MS);
    this.events.emit('change');
  }
}

function info(o: Offer): OfferInfo {
  return {
    share: o.share,
    host: o.host.fingerprint,
    hostName: o.host.name,
    sharer: o.sharer.fingerprint,
    sharerName: o.sharer.name,
    what: o.what,
    write: o.write,
  };
}

/**
 * Passes frames between the view stream and the local viewer, each way with backpressure; `over`
 * when the host says the share is over. A view that ends without the host's last frame (an exit or an
 * error line) ends with `cut`'s words instead: the viewer always reads why.
 */
function pass(
  stream: Duplex,
  channel: ViewerChannel,
  over: () => void,
  cut: (err: Error | undefined) => string,
): void {
  const decoder = new TerminalFrameDecoder();
  let said = false;
  let closed = false;
  const close = (err?: Error) => {
    if (closed) return;
    closed = true;
    if (!said) channel.write(encodeTerminalFrame({ type: 'error', message: fitText(cut(err)) }));
    channel.close();
    // Nothing passes any more: the view's end lets its host go (ShareOffers.watch).
    stream.destroy();
  };
  stream.on('data', (chunk: Buffer) => {
    const frames = framesFromHost(decoder, chunk);
    if (!frames) {
      said = true;
      channel.write(encodeTerminalFrame(BROKE_PROTOCOL));
      return close();
    }
    let ok = true;
    for (const f of frames) {
      if (f.type === 'exit' || (f.type === 'error' && saysShareOver(f.message))) over();
      if (f.type === 'exit' || f.type === 'error') said = true;
      if (TO_VIEWER.has(f.type)) ok = channel.write(encodeTerminalFrame(f)) && ok;
    }
    if (!ok) stream.pause();
  });
  channel.onDrain(() => stream.resume());
  stream.on('end', () => close());
  stream.on('error', (err) => close(err));
  stream.on('close', () => close());
  channel.onData((bytes) => {
    if (!stream.write(bytes)) {
      channel.pause();
      stream.once('drain', () => channel.resume());
    }
  });
  channel.onClose(() => stream.destroy());
  channel.resume();
}
