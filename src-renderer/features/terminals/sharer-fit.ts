/**
 * A shared terminal's screen at the sharer's size (docs/adr/0123-shared-terminals.md §Sizes), for a
 * joined tab and the link page alike: xterm takes exactly the sharer's cols × rows, as the node where
 * the shell runs says them, since output drawn at any other size is garbled (a full-screen program
 * places its text for the sharer's screen). In a larger box it sits top-left in a frame, the rest
 * blank; in a smaller one it is scaled down (a CSS transform) so the whole screen stays in view. The
 * viewer's own box never changes cols × rows, and nothing is sent: the shell follows the sharer alone.
 * A caption says the size. Plain DOM, owned by the terminal's class, as xterm is.
 */
import type { Terminal } from '@xterm/xterm';
import { fitScale, sizeCaption } from './sharer-scale.js';

/**
 * Width xterm's vertical scrollbar takes beside the screen, in CSS px (14, xterm's
 * DEFAULT_SCROLL_BAR_WIDTH, which the fit addon leaves room for too): without it the scrollbar covers
 * the last column.
 */
const SCROLLBAR_PX = 14;

export class SharerFit {
  /** Where xterm is opened: sized to the sharer's screen once it is known. */
  readonly frame = document.createElement('div');
  private readonly caption = document.createElement('p');
  private size: { cols: number; rows: number } | undefined;

  constructor(
    private readonly term: Terminal,
    /** The room the screen has: the caption and the frame go in it. */
    private readonly box: HTMLElement,
  ) {
    box.classList.add('sharer-box');
    this.frame.className = 'sharer-frame';
    this.caption.className = 'sharer-size';
    this.caption.hidden = true;
    box.append(this.caption, this.frame);
  }

  /** Whether the sharer's size is known (until then, an older shell's machine: fit the box instead). */
  get following(): boolean {
    return this.size !== undefined;
  }

  /** The sharer's terminal has this size now: xterm takes it, and the screen is fitted into the box. */
  follow(cols: number, rows: number): void {
    this.size = { cols, rows };
    if (this.term.cols !== cols || this.term.rows !== rows) this.term.resize(cols, rows);
    this.layout();
  }

  /** Fits the screen into the box as it is now (called when the box's size changes). */
  layout(): void {
    const size = this.size;
    const screen = this.term.element?.querySelector<HTMLElement>('.xterm-screen');
    if (!size || !screen || !this.box.isConnected) return;
    this.box.classList.add('following');
    this.caption.hidden = false;
    const natural = { width: screen.offsetWidth + SCROLLBAR_PX, height: screen.offsetHeight };
    const pad = getComputedStyle(this.box);
    const px = (v: string) => parseFloat(v) || 0;
    const room = {
      width: this.box.clientWidth - px(pad.paddingLeft) - px(pad.paddingRight),
      height: this.box.clientHeight - px(pad.paddingTop) - px(pad.paddingBottom) - this.caption.offsetHeight,
    };
    const scale = fitScale(natural, room);
    this.frame.style.width = `${natural.width}px`;
    this.frame.style.height = `${natural.height}px`;
    this.frame.style.transform = scale < 1 ? `scale(${scale})` : '';
    this.caption.textContent = sizeCaption(size.cols, size.rows, scale);
  }
}
