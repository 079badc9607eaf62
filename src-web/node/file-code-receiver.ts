/**
 * The page as a code's receiver (ADR 0124), as `file receive` is one (files/code-receiver.ts): a
 * throwaway node — an identity made in memory with WebCrypto, never stored — connects to the relay
 * the page came from, meets the code (file-code-meet.ts), then dials the sender there as the guest
 * the PAKE made it and answers the sender's `files` stream (file-code-stream.ts). Nothing of it is
 * kept: the page's own identity (the one it pairs with) is not used, and closing ends it all.
 */
import {
  filesOpenArgsProblem,
  filesOpenVersion,
  FILES_SERVICE,
} from '../../src-main/protocol/file-frames-wire.js';
import { browserHello } from './browser-node.js';
import { BrowserNodeError } from './bytes.js';
import { meetFileCode, type MetSender } from './file-code-meet.js';
import { FilesStreamReceiver, type FilesStreamEvents } from './file-code-stream.js';
import { makeBrowserIdentity, type BrowserIdentity } from './identity.js';
import { BrowserMux, type MuxStream } from './mux.js';
import { RelayConnection, type SocketFactory } from './relay-connection.js';
import { linkTo } from './secure-link.js';

/** The name the page's receiver gives itself (the sender shows it), as the CLI's (code-receiver.ts). */
export const PAGE_RECEIVER_NAME = 'code receiver';

export interface CodeReceiverOptions {
  relayUrl: string;
  socket: SocketFactory;
  /** The relay's access token, when it has one. */
  token?: string;
}

/** A code met: who sent and what, and this side's own fingerprint to compare. */
export class PageCodeReceiver {
  private mux: BrowserMux | undefined;
  private files: FilesStreamReceiver | undefined;

  private constructor(
    private readonly relay: RelayConnection,
    readonly identity: BrowserIdentity,
    readonly sender: MetSender,
  ) {}

  /**
   * Meets the sender of `codeOrLink` through the relay at `opts.relayUrl`.
   * @throws (rejects) as meetFileCode, and with the relay's refusal
   */
  static async meet(opts: CodeReceiverOptions, codeOrLink: string): Promise<PageCodeReceiver> {
    const identity = await makeBrowserIdentity(PAGE_RECEIVER_NAME);
    const relay = await RelayConnection.connect(opts.relayUrl, identity, opts.socket, opts.token);
    try {
      const sender = await meetFileCode(relay, identity, opts.relayUrl, codeOrLink);
      return new PageCodeReceiver(relay, identity, sender);
    } catch (err) {
      relay.close('the code was not met');
      throw err;
    }
  }

  /**
   * Dials the sender as its guest and answers its `files` stream: `events` hears the offer, then
   * (once `take` is called on what this resolves to) each file as it arrives. Resolves once the
   * sender's stream is accepted. @throws (rejects) when the sender cannot be reached or refuses
   */
  connect(events: FilesStreamEvents): Promise<FilesStreamReceiver> {
    return new Promise((resolve, reject) => {
      const serve = (service: string, args: unknown) => {
        if (service !== FILES_SERVICE) return `a code's receiver takes files only, not '${service}'`;
        if (this.files) return 'this receiver takes one transfer';
        return (
          filesOpenArgsProblem(args) ??
          ((stream: MuxStream) => {
            this.files = new FilesStreamReceiver(stream, filesOpenVersion(args), events);
            resolve(this.files);
          })
        );
      };
      linkTo(this.relay, this.identity, this.sender.fingerprint).then((link) => {
        const mux = new BrowserMux(link, serve);
        this.mux = mux;
        mux.onClose((reason) => {
          if (!this.files)
            reject(new BrowserNodeError('LINK_CLOSED', `the link to ${this.sender.name} closed: ${reason}`));
        });
        // The guest flag: a sender that no longer lets this node in keeps no request to pair.
        mux.open('control', browserHello(PAGE_RECEIVER_NAME, true)).then(
          (control) => control.onData(() => undefined),
          (err: Error) => reject(err),
        );
      }, reject);
    });
  }

  /** Ends the link and the relay connection: this receiver is gone. */
  close(reason: string): void {
    this.mux?.close(reason);
    this.relay.close(reason);
  }
}
