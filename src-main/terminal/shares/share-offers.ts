/**
 * The viewer's side of shared terminals (docs/adr/0123-shared-terminals.md): the shares peers offered
 * this node (`terminal-offer`, kept in memory), the node where each one's shell runs let in as a guest
 * this node dials and allows nothing, and `terminal.join`, which opens the view stream there and
 * passes the terminal frames between it and the local viewer (`clawbridge sessions join`).
 */
import type { Duplex } from 'node:stream';
import { describeZodError } from '../../core/zod-error.js';
import { Emitter, type Disposer } from '../../core/emitter.js';
import { ClawError, isClawError } from '../../core/errors.js';
import type { UpgradedStream } from '../../api/stream-upgrade.js';
import type { ViewerChannel } from '../../api/viewer-channel.js';
import type { DomainPeers } from '../../links/domain.js';
import type { Guest, GuestSource } from '../../services/admission.js';
import type { ServiceRegistry } from '../../services/services.js';
import {
  TerminalFrameDecoder,
  encodeTerminalFrame,
  type TerminalFrame,
} from '../../protocol/terminal-frames.js';
import type { OfferInfo, ShareStreamResults } from './share-contract.js';
import { TERMINAL_VIEW_SERVICE, type ShareClock } from './share-registry.js';
import { offerWire, saysShareOver, TERMINAL_OFFER_SERVICE, type OfferWire } from './share-wire.js';

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

/** Frames the viewer's own terminal takes from the node where the shell runs; the rest is that link's. */
const TO_VIEWER: ReadonlySet<TerminalFrame['type']> = new Set(['data', 'stderr', 'exit', 'error']);

export class ShareOffers implements GuestSource {
  private readonly offers = new Map<string, Offer>();
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
    for (const o of this.offers.values()) {
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
    const result: ShareStreamResults['terminal.join'] = info(o);
    return {
      result,
      // The host saying the share is over (its terminal exited, or an error line that says so; not
      // "fell behind", after which the viewer joins again) drops the offer: no more dialing there.
      attach: (channel) => pass(stream, channel, () => this.drop(o)),
      cancel: () => stream.destroy(),
    };
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
 * when the host says the share is over.
 */
function pass(stream: Duplex, channel: ViewerChannel, over: () => void): void {
  const decoder = new TerminalFrameDecoder();
  stream.on('data', (chunk: Buffer) => {
    let frames: TerminalFrame[];
    try {
      frames = decoder.push(chunk);
    } catch {
      channel.write(
        encodeTerminalFrame({ type: 'error', message: 'the shared terminal broke the protocol' }),
      );
      return void channel.close();
    }
    let ok = true;
    for (const f of frames) {
      if (f.type === 'exit' || (f.type === 'error' && saysShareOver(f.message))) over();
      if (TO_VIEWER.has(f.type)) ok = channel.write(encodeTerminalFrame(f)) && ok;
    }
    if (!ok) stream.pause();
  });
  channel.onDrain(() => stream.resume());
  stream.on('end', () => channel.close());
  stream.on('error', () => channel.close());
  stream.on('close', () => channel.close());
  channel.onData((bytes) => {
    if (!stream.write(bytes)) {
      channel.pause();
      stream.once('drain', () => channel.resume());
    }
  });
  channel.onClose(() => stream.destroy());
  channel.resume();
}
