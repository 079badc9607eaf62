/**
 * The page as a shared terminal's link viewer (docs/adr/0123-shared-terminals.md §Link): a throwaway
 * node — an identity made with WebCrypto, kept only in the tab (share-code-tab.ts) — connects to the
 * relay the page came from, meets the sharer's code there (sealed-code-meet.ts, use `view`), then
 * dials the node where the shell runs, as the guest the sharer had it admit, and opens
 * `terminal-view` for the one share the sharer named: terminal frames, the screen as it is then live
 * output. Its keys go as DATA frames; that node lets them through only while the sharer allows
 * typing. A view cut without that node's last frame (the link or the relay dropped), and a reload of
 * the tab, dial that node again as the same viewer, without the spent code, until the share ends. The
 * page's own identity (the one it pairs with) is not used, and closing the tab ends it all.
 */
import { encodeDataFrames, TerminalFrameDecoder } from '../../src-main/protocol/terminal-frames.js';
import {
  MAX_SHARE_CODE_FRAME_PLAIN,
  readShareCodeFrame,
  readShareLink,
  SHARE_CODE_KEY_SALT,
  SHARE_CODE_MARKER,
  SHARE_CODE_TAG_BYTES,
  SHARE_CODE_USE,
  SHARE_CODE_WRONG_LINE,
  shareCodeNonce,
  type ShareCodeFrame,
} from '../../src-main/protocol/share-code-frames.js';
import {
  presentAnswer,
  shareOver,
  TERMINAL_PRESENT_SERVICE,
  TERMINAL_VIEW_SERVICE,
} from '../../src-main/terminal/shares/share-wire.js';
import type { PresentViewer } from '../../src-main/terminal/shares/share-contract.js';
import { browserHello } from './browser-node.js';
import { BrowserNodeError, fromUtf8 } from './bytes.js';
import type { BrowserIdentity } from './identity.js';
import { Redials, type RedialTimers } from './file-code-redial.js';
import { makeKeepableIdentity, tabStorage, ViewerTab, type KeptViewer } from './share-code-tab.js';
import { BrowserMux, type MuxStream } from './mux.js';
import { RelayConnection, relayStillOrAgain, type SocketFactory } from './relay-connection.js';
import { meetSealedCode, type SealedCodeSpec } from './sealed-code-meet.js';
import { linkTo } from './secure-link.js';

/** The name the page's viewer gives itself (the sharer names it by its fingerprint: share-link.ts). */
export const PAGE_VIEWER_NAME = 'link viewer';
/** Longest answer line `terminal-present` is read to, in bytes (share-sharer.ts reads as much). */
const MAX_PRESENT_BYTES = 64 * 1024;

const SHARE_CODE_SPEC: SealedCodeSpec<ShareCodeFrame> = {
  use: SHARE_CODE_USE,
  marker: SHARE_CODE_MARKER,
  salt: SHARE_CODE_KEY_SALT,
  issuerRole: 'sharer',
  tagBytes: SHARE_CODE_TAG_BYTES,
  maxPlain: MAX_SHARE_CODE_FRAME_PLAIN,
  nonce: shareCodeNonce,
  read: readShareCodeFrame,
  // The sharer asks the shell's machine to admit this viewer before it answers: one round trip there.
  readyTimeoutMs: 30_000,
  issuer: 'sharer',
  codeName: 'the share code',
  wrongLine: SHARE_CODE_WRONG_LINE,
};

/** The code in what was typed or pasted: a code, `#watch=CODE`, or the whole link. */
export const shareCodeOf = (text: string): string => readShareLink(text).code;

export interface ShareViewerOptions {
  relayUrl: string;
  socket: SocketFactory;
  /** The relay's access token, when it has one. */
  token?: string;
  /** Where the viewer is kept for the tab's life (share-code-tab.ts); the tab's sessionStorage unless set. */
  tab?: ViewerTab;
  /** The timers dialing again waits on (a test's clock); the page's own otherwise. */
  timers?: RedialTimers;
}

/** What the view hears: output bytes, the sharer's terminal size, a cut and its mending, and once its end with why. */
export interface ViewEvents {
  output(bytes: Uint8Array): void;
  /** The shell's terminal size now (the sharer's), before the screen and after each change. */
  sized?(cols: number, rows: number): void;
  /** The view was cut (the link or the relay dropped): dialing again, as the same viewer. */
  reconnecting(why: string): void;
  /** A view again: the screen as it is now follows, to be drawn on a cleared one. */
  resumed(): void;
  /**
   * The view is over: `shareOver` when the share ended (or this viewer was turned away), so nothing
   * can bring it back; otherwise the dialing gave up, and a reload tries again.
   */
  ended(reason: string, shareOver: boolean): void;
}

const tabOf = (opts: ShareViewerOptions) => opts.tab ?? new ViewerTab(tabStorage());

/** A link met: where the shell runs, whose terminal, and what this viewer may do. */
export class PageShareViewer {
  private mux: BrowserMux | undefined;
  private view: MuxStream | undefined;
  private closed = false;
  private over = false;
  private readonly redials: Redials;

  private constructor(
    private relay: RelayConnection,
    private readonly opts: ShareViewerOptions,
    readonly identity: BrowserIdentity,
    /** Who issued the code (the sharer, as the PAKE proved it). */
    readonly sharer: { fingerprint: string; name: string },
    readonly target: Extract<ShareCodeFrame, { t: 'ready' }>,
  ) {
    this.redials = new Redials(target.host.name, opts.timers);
  }

  /**
   * Meets the sharer of `codeOrLink` through the relay at `opts.relayUrl`, and keeps the viewer it
   * becomes in the tab.
   * @throws (rejects) as meetSealedCode, PAIRING_FAILED with the sharer's refusal, and the relay's
   */
  static async meet(opts: ShareViewerOptions, codeOrLink: string): Promise<PageShareViewer> {
    const { identity, keys } = await makeKeepableIdentity(PAGE_VIEWER_NAME);
    const relay = await RelayConnection.connect(opts.relayUrl, identity, opts.socket, opts.token);
    try {
      const code = shareCodeOf(codeOrLink);
      const met = await meetSealedCode(SHARE_CODE_SPEC, relay, identity, opts.relayUrl, code);
      if (met.frame.t === 'refused')
        throw new BrowserNodeError('PAIRING_FAILED', `${met.name} refused: ${met.frame.reason}`);
      const sharer = { fingerprint: met.fingerprint, name: met.name };
      tabOf(opts).keep({ code, relayUrl: opts.relayUrl, sharer, target: met.frame }, keys, PAGE_VIEWER_NAME);
      return new PageShareViewer(relay, opts, identity, sharer, met.frame);
    } catch (err) {
      relay.close('the code was not met');
      throw err;
    }
  }

  /**
   * The viewer this tab met a code as before (a reload), when `code` is its code or none: it watches
   * again without the code, which is spent.
   */
  static async kept(opts: ShareViewerOptions, code: string): Promise<KeptViewer | undefined> {
    const kept = await tabOf(opts).kept(opts.relayUrl);
    return kept && (code === '' || shareCodeOf(code) === kept.code) ? kept : undefined;
  }

  /**
   * The kept viewer again, on a new relay connection.
   * @throws (rejects) the relay's errors
   */
  static async resume(opts: ShareViewerOptions, kept: KeptViewer): Promise<PageShareViewer> {
    const relay = await RelayConnection.connect(opts.relayUrl, kept.identity, opts.socket, opts.token);
    return new PageShareViewer(relay, opts, kept.identity, kept.sharer, kept.target);
  }

  /**
   * Dials the node where the shell runs as its guest and opens the share's view: `events` hears its
   * output, then its end (the share ended, was revoked, or the dialing gave up), once. A view cut
   * without that node's last frame is opened again, dialing again as the same viewer.
   * @throws (rejects) when that node cannot be reached or refuses the first view
   */
  async watch(events: ViewEvents): Promise<void> {
    await this.openView(events).catch((err: BrowserNodeError) => {
      if (err.refusal !== undefined) this.end(events, err.message, true);
      throw err;
    });
  }

  /** A view of the share, on the link up or a new one (a new relay connection first when that one went). */
  private async openView(events: ViewEvents, again = false): Promise<void> {
    let mux = this.mux;
    if (!mux || mux.closed) {
      this.relay = await relayStillOrAgain(this.relay, this.opts, this.identity);
      const link = await linkTo(this.relay, this.identity, this.target.host.fingerprint);
      if (this.closed) {
        link.close('closed');
        throw new BrowserNodeError('CANCELLED', 'the viewer was closed');
      }
      mux = new BrowserMux(link, (service) => `a link viewer serves nothing ('${service}')`);
      this.mux = mux;
      // The guest flag: a node that no longer lets this viewer in keeps no request to pair.
      mux.open('control', browserHello(PAGE_VIEWER_NAME, true)).then(
        (control) => control.onData(() => undefined),
        () => undefined,
      );
    }
    const view = await mux.open(TERMINAL_VIEW_SERVICE, { share: this.target.share });
    this.view = view;
    if (again) events.resumed();
    this.attach(mux, view, events);
  }

  private attach(mux: BrowserMux, view: MuxStream, events: ViewEvents): void {
    /** This view is done with: its last frame came, or it was cut. */
    let done = false;
    const last = (reason: string) => {
      if (done) return;
      done = true;
      this.end(events, reason, true);
    };
    const cut = (why: string) => {
      if (done || this.closed) return;
      done = true;
      this.rejoin(events, why);
    };
    const decoder = new TerminalFrameDecoder();
    view.onData((bytes) => {
      let frames;
      try {
        frames = decoder.push(bytes.slice());
      } catch (err) {
        return last(`the view sent something that is not a terminal frame: ${(err as Error).message}`);
      }
      for (const f of frames) {
        if (f.type === 'data' || f.type === 'stderr') events.output(f.data);
        else if (f.type === 'resize') events.sized?.(f.cols, f.rows);
        else if (f.type === 'exit') last(shareOver.terminalEnded);
        else if (f.type === 'error') last(f.message);
      }
    });
    view.onEnd((err) => cut(err ? err.message : 'the view ended'));
    mux.onClose((reason) => cut(`the connection to ${this.target.host.name} closed: ${reason}`));
  }

  /** Dials again after a cut, backing off; a refusal there means the share is over. */
  private rejoin(events: ViewEvents, why: string): void {
    events.reconnecting(why);
    let refused: string | undefined;
    this.redials
      .dial(
        () =>
          this.openView(events, true).catch((err: BrowserNodeError) => {
            if (err.refusal !== undefined) refused = err.message;
            throw err;
          }),
        () => this.closed,
      )
      .catch((err: BrowserNodeError) => {
        if (err.code === 'CANCELLED') return;
        if (refused !== undefined) this.end(events, refused, true);
        else this.end(events, `${err.message}; reload the page to try again`, false);
      });
  }

  /** The view is over: said once; a share that ended is kept as such in the tab. */
  private end(events: ViewEvents, reason: string, shareIsOver: boolean): void {
    if (this.over) return;
    this.over = true;
    if (shareIsOver) tabOf(this.opts).ended(reason);
    events.ended(reason, shareIsOver);
    if (!this.closed) this.close(reason);
  }

  /** Sends keys: the node where the shell runs passes them on only while this viewer may type. */
  type(bytes: Uint8Array): void {
    for (const frame of encodeDataFrames(bytes)) this.view?.write(frame);
  }

  /**
   * Who else is in the share, as the node where the shell runs says now (`terminal-present`).
   * @throws (rejects) when it refuses or cannot be asked
   */
  async present(): Promise<PresentViewer[]> {
    const mux = this.mux;
    if (!mux) throw new BrowserNodeError('LINK_CLOSED', 'not watching');
    const stream = await mux.open(TERMINAL_PRESENT_SERVICE, { share: this.target.share });
    const line = await new Promise<string>((resolve, reject) => {
      let text = '';
      stream.onData((b) => {
        text += fromUtf8(b);
        if (text.length > MAX_PRESENT_BYTES)
          reject(new BrowserNodeError('PROTOCOL', 'the answer was too long'));
        else if (text.includes('\n')) resolve(text.split('\n')[0]!);
      });
      stream.onEnd(() => resolve(text.split('\n')[0] ?? ''));
      stream.end();
    });
    const a = presentAnswer().parse(JSON.parse(line));
    if (!a.ok) throw new BrowserNodeError('STREAM_REJECTED', a.message);
    return a.viewers;
  }

  /** Ends the view, the link and the relay connection: this viewer is gone. */
  close(reason: string): void {
    this.closed = true;
    this.mux?.close(reason);
    this.relay.close(reason);
  }
}
