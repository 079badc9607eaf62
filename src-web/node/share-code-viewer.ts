/**
 * The page as a shared terminal's link viewer (docs/adr/0123-shared-terminals.md §Link): a throwaway
 * node — an identity made in memory with WebCrypto, never stored — connects to the relay the page came
 * from, meets the sharer's code there (sealed-code-meet.ts, use `view`), then dials the node where the
 * shell runs, as the guest the sharer had it admit, and opens `terminal-view` for the one share the
 * sharer named: terminal frames, the screen as it is then live output. Its keys go as DATA frames;
 * that node lets them through only while the sharer allows typing. Nothing of it is kept: the page's
 * own identity (the one it pairs with) is not used, and closing ends it all.
 */
import { encodeDataFrames, TerminalFrameDecoder } from '../../src-main/protocol/terminal-frames.js';
import {
  MAX_SHARE_CODE_FRAME_PLAIN,
  readShareCodeFrame,
  SHARE_CODE_FRAGMENT,
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
import { makeBrowserIdentity, type BrowserIdentity } from './identity.js';
import { BrowserMux, type MuxStream } from './mux.js';
import { RelayConnection, type SocketFactory } from './relay-connection.js';
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
  wrongLine: SHARE_CODE_WRONG_LINE,
};

/** The code in what was typed or pasted: a code, `#watch=CODE`, or the whole link. */
export function shareCodeOf(text: string): string {
  const t = text.trim();
  const marker = `${SHARE_CODE_FRAGMENT}=`;
  const at = t.indexOf(`#${marker}`);
  const rest =
    at !== -1 ? t.slice(at + 1 + marker.length) : t.startsWith(marker) ? t.slice(marker.length) : t;
  return decodeURIComponent(rest).trim();
}

export interface ShareViewerOptions {
  relayUrl: string;
  socket: SocketFactory;
  /** The relay's access token, when it has one. */
  token?: string;
}

/** What the view hears: output bytes, the sharer's terminal size, and once its end with why. */
export interface ViewEvents {
  output(bytes: Uint8Array): void;
  /** The shell's terminal size now (the sharer's), before the screen and after each change. */
  sized?(cols: number, rows: number): void;
  ended(reason: string): void;
}

/** A link met: where the shell runs, whose terminal, and what this viewer may do. */
export class PageShareViewer {
  private mux: BrowserMux | undefined;
  private view: MuxStream | undefined;
  private closed = false;

  private constructor(
    private readonly relay: RelayConnection,
    readonly identity: BrowserIdentity,
    /** Who issued the code (the sharer, as the PAKE proved it). */
    readonly sharer: { fingerprint: string; name: string },
    readonly target: Extract<ShareCodeFrame, { t: 'ready' }>,
  ) {}

  /**
   * Meets the sharer of `codeOrLink` through the relay at `opts.relayUrl`.
   * @throws (rejects) as meetSealedCode, PAIRING_FAILED with the sharer's refusal, and the relay's
   */
  static async meet(opts: ShareViewerOptions, codeOrLink: string): Promise<PageShareViewer> {
    const identity = await makeBrowserIdentity(PAGE_VIEWER_NAME);
    const relay = await RelayConnection.connect(opts.relayUrl, identity, opts.socket, opts.token);
    try {
      const met = await meetSealedCode(
        SHARE_CODE_SPEC,
        relay,
        identity,
        opts.relayUrl,
        shareCodeOf(codeOrLink),
      );
      if (met.frame.t === 'refused')
        throw new BrowserNodeError('PAIRING_FAILED', `${met.name} refused: ${met.frame.reason}`);
      return new PageShareViewer(
        relay,
        identity,
        { fingerprint: met.fingerprint, name: met.name },
        met.frame,
      );
    } catch (err) {
      relay.close('the code was not met');
      throw err;
    }
  }

  /**
   * Dials the node where the shell runs as its guest and opens the share's view: `events` hears its
   * output, then its end (the share ended, was revoked, the link dropped), once.
   * @throws (rejects) when that node cannot be reached or refuses the view
   */
  async watch(events: ViewEvents): Promise<void> {
    const link = await linkTo(this.relay, this.identity, this.target.host.fingerprint);
    const mux = new BrowserMux(link, (service) => `a link viewer serves nothing ('${service}')`);
    this.mux = mux;
    // The guest flag: a node that no longer lets this viewer in keeps no request to pair.
    mux.open('control', browserHello(PAGE_VIEWER_NAME, true)).then(
      (control) => control.onData(() => undefined),
      () => undefined,
    );
    const view = await mux.open(TERMINAL_VIEW_SERVICE, { share: this.target.share });
    this.view = view;
    let over = false;
    const end = (reason: string) => {
      if (over) return;
      over = true;
      events.ended(reason);
      if (!this.closed) this.close(reason);
    };
    const decoder = new TerminalFrameDecoder();
    view.onData((bytes) => {
      let frames;
      try {
        frames = decoder.push(bytes.slice());
      } catch (err) {
        return end(`the view sent something that is not a terminal frame: ${(err as Error).message}`);
      }
      for (const f of frames) {
        if (f.type === 'data' || f.type === 'stderr') events.output(f.data);
        else if (f.type === 'resize') events.sized?.(f.cols, f.rows);
        else if (f.type === 'exit') end(shareOver.terminalEnded);
        else if (f.type === 'error') end(f.message);
      }
    });
    view.onEnd((err) => end(err ? err.message : 'the view ended'));
    mux.onClose((reason) => end(`the connection to ${this.target.host.name} closed: ${reason}`));
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
