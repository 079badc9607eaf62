/**
 * What `sessions join CODE` watches (docs/adr/0123-shared-terminals.md §Link): one stream of terminal
 * frames for `runTerminal` over the views it opens of the share where the shell runs. A view cut
 * without that node's last frame (the link dropped, the relay restarted) is opened again — dialing
 * again when the link went — backing off, a bounded number of times, for as long as that node still
 * lets this viewer in: a RECONNECTING status meanwhile, then the screen as it is now, replayed on a
 * cleared one (a view starts with the replay buffer), as a window tab that re-attaches shows it. A
 * view that ends with the share's own last frame (an ERROR line, the EXIT), or a node that refuses
 * this viewer now (the share ended, it was revoked), ends it with why. Keys typed while no view is
 * open go nowhere: the host would have dropped a watcher's anyway, and a typist's are not held.
 */
import { Duplex } from 'node:stream';
import { backoffDelayMs } from '../../core/backoff.js';
import { errorMessage, refusalOf } from '../../core/errors.js';
import {
  encodeTerminalFrame,
  fitText,
  TerminalFrameDecoder,
  type TerminalFrame,
} from '../../protocol/terminal-frames.js';
import { BROKE_PROTOCOL, framesFromHost, TO_VIEWER } from '../shares/share-offers.js';

/** Most views opened again after the first, over the watching's life (each after a cut). */
export const MAX_REJOINS = 30;
/** Moves the cursor home and clears the screen: the replay that follows draws the screen anew. */
const CLEAR_SCREEN = '\x1b[H\x1b[2J';

/** Where the views come from. */
export interface ViewSource {
  /** The node where the shell runs, as the words name it. */
  readonly hostName: string;
  /**
   * A new view of the share, dialing that node first when no link is up.
   * @throws with that node's refusal (refusalOf) when it no longer lets this viewer in
   */
  open(): Promise<Duplex>;
  /** No view is wanted any more: the link goes. */
  close(reason: string): void;
}

export class RejoiningView extends Duplex {
  private current: Duplex | undefined;
  private over = false;
  private rejoins = 0;

  constructor(
    private readonly source: ViewSource,
    first: Duplex,
    /** Waits between tries; a test's own, or the real timers. */
    private readonly wait: (ms: number) => Promise<void> = (ms) =>
      new Promise((resolve) => setTimeout(resolve, ms)),
  ) {
    super();
    this.attach(first);
  }

  override _read(): void {
    this.current?.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    const view = this.current;
    if (!view || view.destroyed || view.write(chunk)) return done();
    const go = () => {
      view.off('drain', go);
      view.off('close', go);
      done();
    };
    view.on('drain', go);
    view.on('close', go);
  }

  override _destroy(err: Error | null, done: (err: Error | null) => void): void {
    this.over = true;
    this.current?.destroy();
    this.current = undefined;
    this.source.close('left');
    done(err);
  }

  private attach(view: Duplex): void {
    this.current = view;
    const decoder = new TerminalFrameDecoder();
    /** The host's last frame passed: this view ended with the share or the program. */
    let last = false;
    view.on('data', (chunk: Buffer) => {
      const frames = framesFromHost(decoder, chunk);
      if (!frames) {
        last = true;
        this.pushFrame(BROKE_PROTOCOL);
        return view.destroy();
      }
      let room = true;
      for (const f of frames) {
        if (f.type === 'exit' || f.type === 'error') last = true;
        if (TO_VIEWER.has(f.type)) room = this.pushFrame(f) && room;
      }
      if (!room) view.pause();
    });
    const cut = (err?: Error) => {
      if (this.current !== view) return;
      this.current = undefined;
      view.destroy();
      if (this.over) return;
      if (last) return this.end();
      this.rejoin(err ? errorMessage(err) : 'the view closed').catch((e: unknown) =>
        this.give(errorMessage(e)),
      );
    };
    view.on('end', () => cut());
    view.on('error', (err) => cut(err));
    view.on('close', () => cut());
  }

  private pushFrame(frame: TerminalFrame): boolean {
    return this.push(encodeTerminalFrame(frame));
  }

  /** Ends the watching with `message` as its last frame. */
  private give(message: string): void {
    if (this.over) return;
    this.over = true;
    this.pushFrame({ type: 'error', message: fitText(message) });
    this.push(null);
  }

  private async rejoin(why: string): Promise<void> {
    const host = this.source.hostName;
    this.pushFrame({
      type: 'status',
      state: 'reconnecting',
      detail: fitText(`the view of ${host} was cut: ${why}; joining again`),
    });
    for (;;) {
      if (this.rejoins >= MAX_REJOINS) return this.give(`lost ${host} ${MAX_REJOINS} times: given up`);
      await this.wait(backoffDelayMs(Math.min(this.rejoins, 3)));
      this.rejoins++;
      if (this.over) return;
      let view: Duplex;
      try {
        view = await this.source.open();
      } catch (err) {
        // That node turned this viewer away: the share is over there, and trying again will not help.
        if (refusalOf(err) !== undefined) return this.give(errorMessage(err));
        continue;
      }
      if (this.over) return void view.destroy();
      this.pushFrame({ type: 'data', data: new TextEncoder().encode(CLEAR_SCREEN) });
      this.pushFrame({
        type: 'status',
        state: 'resumed',
        detail: fitText(`to ${host}: the screen as it is now`),
      });
      return this.attach(view);
    }
  }
}
