/**
 * The arithmetic of a shared screen drawn at the sharer's size (sharer-fit.ts): its scale in the
 * viewer's box and its caption. Apart from sharer-fit.ts, which needs xterm's (DOM) types, so the
 * unit tests that run under Node's types can import it.
 */

/** The caption over a followed screen: its size, and whether it is drawn smaller to fit. Pure. */
export function sizeCaption(cols: number, rows: number, scale: number): string {
  const shrunk = scale < 1 ? ` (shown at ${Math.round(scale * 100)}% to fit)` : '';
  return `${cols}×${rows}, the sharer's size${shrunk}`;
}

/** The scale that fits `natural` into `room` whole, never above 1 (a larger box letterboxes). Pure. */
export function fitScale(
  natural: { width: number; height: number },
  room: { width: number; height: number },
): number {
  if (natural.width <= 0 || natural.height <= 0) return 1;
  return Math.max(0.05, Math.min(1, room.width / natural.width, room.height / natural.height));
}
