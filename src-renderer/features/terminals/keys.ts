/**
 * Terminal shortcuts. Plain Ctrl+C/V/F belong to the shell (interrupt, literal next, forward-char), so
 * the app's own take Shift as well, as in VS Code's and GNOME's terminals; on macOS Cmd does it.
 * A pure function of the key event, so it is tested without a browser.
 */

export type TerminalKeyAction =
  'copy' | 'paste' | 'search' | 'new-tab' | 'close-tab' | 'next-tab' | 'prev-tab';

/** The fields of a KeyboardEvent the shortcuts look at. */
export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

/** The shortcut `e` stands for, or null when the key belongs to the terminal. */
export function terminalKeyAction(e: KeyLike): TerminalKeyAction | null {
  const mod = e.ctrlKey || e.metaKey;
  if (!mod || e.altKey) return null;
  if (e.key === 'PageDown') return 'next-tab';
  if (e.key === 'PageUp') return 'prev-tab';
  if (!e.shiftKey) return null;
  switch (e.key.toLowerCase()) {
    case 'c':
      return 'copy';
    case 'v':
      return 'paste';
    case 'f':
      return 'search';
    case 't':
      return 'new-tab';
    case 'w':
      return 'close-tab';
    default:
      return null;
  }
}
