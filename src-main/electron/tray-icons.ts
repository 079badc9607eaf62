/**
 * The tray icon's file per state and platform (architecture.md §The desktop app and the window: the
 * app lives in the tray, so the icon itself tells whether the agent is online, waiting for the owner,
 * or offline). scripts/make-icons.mjs draws every file named here into assets/ from one glyph.
 *
 * macOS gets "…Template" images: the menu bar uses only their alpha and tints them for light and
 * dark mode, and nativeImage picks the `@2x` file next to it on Retina screens. Windows and Linux
 * task bars show colours as drawn, so they get coloured variants (teal, amber, grey) that read on
 * both light and dark bars.
 */

/** What the tray icon shows: the agent is running, a pairing request waits, or the agent is down. */
export type TrayIconState = 'online' | 'attention' | 'offline';

/** Every state, in the order the icon script draws them. */
export const TRAY_ICON_STATES: readonly TrayIconState[] = ['online', 'attention', 'offline'];

/** macOS menu-bar images (alpha only); each has an `@2x` sibling for Retina screens. */
const TEMPLATE_FILES: Record<TrayIconState, string> = {
  online: 'trayTemplate.png',
  attention: 'trayAttentionTemplate.png',
  offline: 'trayOfflineTemplate.png',
};

/** Coloured images for Windows and Linux task bars; each has an `@2x` sibling for HiDPI screens. */
const COLOUR_FILES: Record<TrayIconState, string> = {
  online: 'tray.png',
  attention: 'trayAttention.png',
  offline: 'trayOffline.png',
};

/**
 * The tray icon's file name for `state` on `platform`, relative to the app's assets/ folder.
 * Throws on a state that is not one of {@link TRAY_ICON_STATES}, so a bad value from an untyped
 * caller fails loudly instead of showing a missing image.
 */
export function trayIconFile(state: TrayIconState, platform: NodeJS.Platform): string {
  const files = platform === 'darwin' ? TEMPLATE_FILES : COLOUR_FILES;
  if (!Object.hasOwn(files, state)) throw new Error(`unknown tray icon state: ${String(state)}`);
  return files[state];
}

/** The `@2x` sibling of a 1x icon file name (`trayTemplate.png` → `trayTemplate@2x.png`). */
export function retinaVariant(file: string): string {
  return file.replace(/\.png$/, '@2x.png');
}

/** Every tray icon file the app ships, 1x and 2x, for the icon script and the packaging check. */
export function allTrayIconFiles(): string[] {
  return [...Object.values(TEMPLATE_FILES), ...Object.values(COLOUR_FILES)].flatMap((f) => [
    f,
    retinaVariant(f),
  ]);
}
