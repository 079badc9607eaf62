/**
 * The page as a code's receiver (ADR 0124), as `file receive` is one (files/code-receiver.ts): a
 * throwaway node — an identity made in memory with WebCrypto, never stored — connects to the relay
 * the page came from, meets the code (file-code-meet.ts), then dials the sender there as the guest
 * the PAKE made it and answers the sender's `files` stream (file-code-stream.ts). A link that drops
 * before the transfer is whole is dialed again under the same identity (file-code-redial.ts), over a
 * new relay connection when the old one went too, and the sender's next `files` stream carries the
 * transfer on from what arrived. Nothing of it is kept: the page's own identity (the one it pairs
 * with) is not used, and closing ends it all.
 */
import {
  filesOpenArgsProblem,
  filesOpenVersion,
  FILES_SERVICE,
} from '../../src-main/protocol/file-frames-wire.js';
import { browserHello } from './browser-node.js';
import { BrowserNodeError } from './bytes.js';
import { meetFileCode, type MetSender } from './file-code-meet.js';
import { Redials, type RedialTimers } from './file-code-redial.js';
import { FilesStreamReceiver, type FilesStreamEvents } from './file-code-stream.js';
import { makeBrowserIdentity, type BrowserIdentity } from './identity.js';
import { BrowserMux, type InboundServices, type MuxStream } from './mux.js';
import { RelayConnection, relayStillOrAgain, type SocketFactory } from './relay-connection.js';
import { linkTo } from './secure-link.js';

/** The name the page's receiver gives itself (the sender shows it), as the CLI's (code-receiver.ts). */
export const PAGE_RECEIVER_NAME = 'code receiver';

export interface CodeReceiverOptions {
  relayUrl: string;
  socket: SocketFactory;
  /** The relay's access token, when it has one. */
  token?: string;
  /** The timers the dialing again waits on (a test's clock); the page's own otherwise. */
  timers?: RedialTimers;
}

/** A code met: who sent and what, and this side's own fingerprint to compare. */
export class PageCodeReceiver {
  private mux: BrowserMux | undefined;
  private files: FilesStreamReceiver | undefined;
  private closed = false;
  private readonly redials: Redials;

  private constructor(
    private relay: RelayConnection,
    private readonly opts: CodeReceiverOptions,
    readonly identity: BrowserIdentity,
    readonly sender: MetSender,
  ) {
    this.redials = new Redials(sender.name, opts.timers);
  }

  /**
   * Meets the sender of `codeOrLink` through the relay at `opts.relayUrl`.
   * @throws (rejects) as meetFileCode, and with the relay's refusal
   */
  static async meet(opts: CodeReceiverOptions, codeOrLink: string): Promise<PageCodeReceiver> {
    const identity = await makeBrowserIdentity(PAGE_RECEIVER_NAME);
    const relay = await RelayConnection.connect(opts.relayUrl, identity, opts.socket, opts.token);
    try {
      const sender = await meetFileCode(relay, identity, opts.relayUrl, codeOrLink);
      return new PageCodeReceiver(relay, opts, identity, sender);
    } catch (err) {
      relay.close('the code was not met');
      throw err;
    }
  }

  /**
   * Dials the sender as its guest and answers its `files` stream: `events` hears the offer, then
   * (once `take` is called on what this resolves to) each file as it arrives. Resolves once the
   * sender's stream is accepted. A link that drops after that is dialed again (`events.interrupted`,
   * then `resumed`), until the transfer is over or the tries ran out (`failed`, saying what arrived).
   * @throws (rejects) when the sender cannot be reached or refuses before its stream opened
   */
  connect(events: FilesStreamEvents): Promise<FilesStreamReceiver> {
    return new Promise((resolve, reject) => {
      const serve = (service: string, args: unknown) => {
        if (service !== FILES_SERVICE) return `a code's receiver takes files only, not '${service}'`;
        const problem = filesOpenArgsProblem(args);
        if (problem) return problem;
        const files = this.files;
        if (files && !files.open) return 'this receiver took its one transfer';
        return (stream: MuxStream) => {
          if (files) return files.resume(stream, filesOpenVersion(args));
          this.files = new FilesStreamReceiver(stream, filesOpenVersion(args), events);
          resolve(this.files);
        };
      };
      this.dial(serve).then(
        (mux) =>
          mux.onClose((reason) => {
            if (!this.files)
              reject(
                new BrowserNodeError('LINK_CLOSED', `the link to ${this.sender.name} closed: ${reason}`),
              );
          }),
        reject,
      );
    });
  }

  /** Ends the link and the relay connection: this receiver is gone. */
  close(reason: string): void {
    this.closed = true;
    this.mux?.close(reason);
    this.relay.close(reason);
  }

  /**
   * One link to the sender (a new relay connection first when the last one closed), its drop watched:
   * dialed again while the transfer that began on it still needs the sender.
   */
  private async dial(serve: InboundServices): Promise<BrowserMux> {
    this.relay = await relayStillOrAgain(this.relay, this.opts, this.identity);
    const link = await linkTo(this.relay, this.identity, this.sender.fingerprint);
    if (this.closed) {
      link.close('closed');
      throw new BrowserNodeError('CANCELLED', 'the receiver was closed');
    }
    const mux = new BrowserMux(link, serve);
    this.mux = mux;
    mux.onClose((reason, refusal) => {
      const files = this.files;
      if (this.closed || !files?.open) return;
      // Refused: the sender's offer ended and its guest with it; dialing again would be refused too.
      if (refusal !== undefined)
        return files.giveUp(
          new BrowserNodeError(
            'TRANSFER_FAILED',
            `${this.sender.name} no longer takes this receiver: ${reason}`,
          ),
        );
      this.redials
        .dial(
          () => this.dial(serve).then(() => undefined),
          () => this.closed || !files.open,
        )
        .catch((err: BrowserNodeError) => {
          if (err.code !== 'CANCELLED') files.giveUp(err);
        });
    });
    // The guest flag: a sender that no longer lets this node in keeps no request to pair.
    mux.open('control', browserHello(PAGE_RECEIVER_NAME, true)).then(
      (control) => control.onData(() => undefined),
      () => undefined,
    );
    return mux;
  }
}
