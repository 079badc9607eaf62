/**
 * A viewer's terminal and the sharer's size (`sessions join`, docs/adr/0123-shared-terminals.md
 * §Sizes): the node where the shell runs says the shell's terminal size (RESIZE frames), and a
 * program cannot resize the terminal it runs in reliably, so the viewer is told once, in a line, when
 * its terminal is smaller than the sharer's — the output then wraps here — and again only after it fit
 * for a while. A viewer never sends a size: the shell follows the sharer's terminal alone.
 */

/** A terminal's size in character cells. */
export interface CellSize {
  cols: number;
  rows: number;
}

/** The line that says the sharer's terminal does not fit in this one, or undefined when it does. Pure. */
export function sizeNotice(sharer: CellSize, local: CellSize): string | undefined {
  if (sharer.cols <= local.cols && sharer.rows <= local.rows) return undefined;
  const wraps = sharer.cols > local.cols ? 'lines will wrap' : 'the top of the screen scrolls away';
  return (
    `the sharer's terminal is ${sharer.cols}x${sharer.rows}, yours is ${local.cols}x${local.rows}: ` +
    `${wraps}; make this terminal at least that large to see it as they do`
  );
}

/** Follows both sizes and says `sizeNotice`'s line each time the sharer's terminal stops fitting. */
export class SharerSizeNotice {
  private sharer: CellSize | undefined;
  private fits = true;

  constructor(
    /** This terminal's size now; undefined when output goes to no terminal (nothing wraps there). */
    private readonly local: () => CellSize | undefined,
    private readonly say: (line: string) => void,
  ) {}

  /** The sharer's terminal has this size (a RESIZE frame from the node where the shell runs). */
  sharerSized(size: CellSize): void {
    this.sharer = size;
    this.check();
  }

  /** This terminal was resized. */
  localResized(): void {
    this.check();
  }

  private check(): void {
    const local = this.local();
    if (!this.sharer || !local) return;
    const line = sizeNotice(this.sharer, local);
    if (line && this.fits) this.say(line);
    this.fits = line === undefined;
  }
}
