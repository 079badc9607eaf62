/**
 * The window's size and position across launches (architecture.md §The desktop app and the window):
 * kept with the app's other preferences (preferences.ts), validated on load, and fitted back onto a
 * screen that exists now (a monitor may have been unplugged since). Pure.
 */
import { z } from 'zod';

/** Where releases before the preferences store kept it, in userData (read once, then removed). */
export const LEGACY_WINDOW_STATE_FILE = 'window-state.json';
/** Smallest window kept, in CSS pixels: smaller saved sizes are grown to this. */
export const MIN_WINDOW_WIDTH = 480;
/** Smallest window height kept, in CSS pixels. */
export const MIN_WINDOW_HEIGHT = 360;
/**
 * How much of the window's top edge must lie on some screen, in CSS pixels, for the saved position to
 * be kept: enough to grab the title bar and drag it back.
 */
export const MIN_VISIBLE_PX = 64;
/** Largest coordinate or size believed, in CSS pixels: anything beyond is a corrupt file. */
const MAX_COORDINATE = 100_000;

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface WindowState extends Rect {
  maximized: boolean;
}

const coordinate = z.number().int().min(-MAX_COORDINATE).max(MAX_COORDINATE);
const size = z.number().int().min(1).max(MAX_COORDINATE);
const schema = z
  .object({ x: coordinate, y: coordinate, width: size, height: size, maximized: z.boolean() })
  .strict();

/** What was saved, or null when it is not a valid window state (the window then opens centred). */
export function parseWindowState(value: unknown): WindowState | null {
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : null;
}

/**
 * `state` as it is saved: whole pixels, checked.
 * @throws when it is not a window state (NaN, out of range): nothing is saved then
 */
export function savedWindowState(state: WindowState): WindowState {
  return schema.parse({
    ...state,
    x: Math.round(state.x),
    y: Math.round(state.y),
    width: Math.round(state.width),
    height: Math.round(state.height),
  });
}

/**
 * Where to put a window saved as `saved`, given the screens' work areas now: its size, shrunk to fit
 * the screen its top edge is on, and its position when enough of that edge is visible; otherwise
 * only the size (no x/y: the window opens centred).
 */
export function fitOnScreen(
  saved: Rect,
  workAreas: readonly Rect[],
): { width: number; height: number; x?: number; y?: number } {
  const topEdge: Rect = { x: saved.x, y: saved.y, width: saved.width, height: 1 };
  let best: Rect | null = null;
  let bestOverlap = 0;
  for (const area of workAreas) {
    const overlap = overlapWidth(topEdge, area);
    if (overlap > bestOverlap) [best, bestOverlap] = [area, overlap];
  }
  const limit = best ?? workAreas[0];
  const width = Math.max(MIN_WINDOW_WIDTH, limit ? Math.min(saved.width, limit.width) : saved.width);
  const height = Math.max(MIN_WINDOW_HEIGHT, limit ? Math.min(saved.height, limit.height) : saved.height);
  if (!best || bestOverlap < Math.min(MIN_VISIBLE_PX, saved.width)) return { width, height };
  // Keep the title bar inside the work area vertically, so it can always be grabbed.
  const y = Math.min(Math.max(saved.y, best.y), best.y + best.height - MIN_VISIBLE_PX);
  return { width, height, x: saved.x, y };
}

/** Width of the part of the one-pixel-high `edge` that lies inside `area` (0 when it misses it). */
function overlapWidth(edge: Rect, area: Rect): number {
  const inRow = edge.y >= area.y && edge.y < area.y + area.height;
  if (!inRow) return 0;
  return Math.max(0, Math.min(edge.x + edge.width, area.x + area.width) - Math.max(edge.x, area.x));
}
