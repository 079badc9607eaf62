/**
 * The link viewer's screen: an xterm.js instance owned by this plain class, not by React, as the
 * window's tabs are (terminal-tab.ts): output goes from the view to xterm without passing through
 * component state. Keys go out only when the sharer lets this viewer type; the shell's machine drops
 * them otherwise anyway.
 */
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import { terminalTheme } from '../../../src-renderer/features/terminals/theme.js';

/** Lines of scrollback kept (5000, as a window tab's). */
const SCROLLBACK_LINES = 5000;

export class WatchTerminal {
  readonly term: Terminal;
  private readonly fit = new FitAddon();
  private readonly encoder = new TextEncoder();

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
    if (!this.term.element) this.term.open(host);
    this.fit.fit();
    let frame = 0;
    const observer = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => this.fit.fit());
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

  dispose(): void {
    this.term.dispose();
  }
}
