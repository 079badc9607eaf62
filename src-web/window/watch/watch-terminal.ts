/**
 * The link viewer's screen: an xterm.js instance owned by this plain class, not by React, as the
 * window's tabs are (terminal-tab.ts): output goes from the view to xterm without passing through
 * component state. Keys go out only when the sharer lets this viewer type; the shell's machine drops
 * them otherwise anyway. Its size is the sharer's once the view says it (sharer-fit.ts), as a joined
 * tab's is; the page's own size never changes it.
 */
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import { SharerFit } from '../../../src-renderer/features/terminals/sharer-fit.js';
import { terminalTheme } from '../../../src-renderer/features/terminals/theme.js';

/** Lines of scrollback kept (5000, as a window tab's). */
const SCROLLBACK_LINES = 5000;

export class WatchTerminal {
  readonly term: Terminal;
  private readonly fit = new FitAddon();
  private readonly encoder = new TextEncoder();
  private sharer: SharerFit | undefined;
  /** The sharer's size, once the view said it (before the screen was shown, too). */
  private size: { cols: number; rows: number } | undefined;

  constructor(mayType: boolean, type: (bytes: Uint8Array) => void) {
    this.term = new Terminal({
      scrollback: SCROLLBACK_LINES,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
      fontSize: 14,
      lineHeight: 1.2,
      theme: terminalTheme(),
      minimumContrastRatio: 4.5,
      disableStdin: !mayType,
    });
    this.term.loadAddon(this.fit);
    if (mayType) this.term.onData((data) => type(this.encoder.encode(data)));
  }

  /**
   * Shows it in `host` (once), fitted to it, and keeps it so as a window's tab does (TerminalPane.tsx):
   * refitted when the page's size changes, recoloured when the OS theme does.
   * @returns what stops following them
   */
  mount(host: HTMLElement): () => void {
    if (!this.term.element) {
      this.sharer = new SharerFit(this.term, host);
      this.term.open(this.sharer.frame);
      if (this.size) this.sharer.follow(this.size.cols, this.size.rows);
    }
    this.refit();
    let frame = 0;
    const observer = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => this.refit());
    });
    observer.observe(host);
    const media = window.matchMedia('(prefers-color-scheme: dark)');
    const onTheme = () => (this.term.options.theme = terminalTheme());
    media.addEventListener('change', onTheme);
    return () => {
      observer.disconnect();
      cancelAnimationFrame(frame);
      media.removeEventListener('change', onTheme);
    };
  }

  write(bytes: Uint8Array): void {
    this.term.write(bytes);
  }

  /**
   * The sharer's terminal has this size now: taken in order with the output (what came before it is
   * drawn at the old size), before the screen is shown too.
   */
  sized(cols: number, rows: number): void {
    this.term.write('', () => {
      this.size = { cols, rows };
      if (this.sharer) this.sharer.follow(cols, rows);
      else this.term.resize(cols, rows);
    });
  }

  /** The screen fitted to the page: the sharer's size scaled into it, or (not said yet) the page's. */
  private refit(): void {
    if (this.sharer?.following) this.sharer.layout();
    else this.fit.fit();
  }

  dispose(): void {
    this.term.dispose();
  }
}
