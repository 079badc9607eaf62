/**
 * Terminal shortcuts. Plain Ctrl+C/V/F belong to the shell (interrupt, literal next, forward-char), so
 * copy, paste and search take Shift as well, as in VS Code's and GNOME's terminals (Cmd on macOS).
 * Tab shortcuts use Alt+Shift, because a browser keeps Ctrl+(Shift+)T/W and Ctrl+PageUp/PageDown for
 * its own tabs and never hands them to the page. Letters are matched by `code` (the key's place), so
 * Option+Shift+T on a Mac, which types a symbol, still means T. A pure function of the key event, so it
 * is tested without a browser.
 */

export type TerminalKeyAction =
  'copy' | 'paste' | 'search' | 'new-tab' | 'close-tab' | 'next-tab' | 'prev-tab';

/** The fields of a KeyboardEvent the shortcuts look at. */
export interface KeyLike {
  key: string;
  code?: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

/** Words for the help line: what each shortcut is, as a person presses it. */
export const SHORTCUT_HELP =
  'Ctrl+Shift+C / V copy and paste, Ctrl+Shift+F search; Alt+Shift+T new tab, Alt+Shift+W close, Alt+Shift+← / → switch.';

function letter(e: KeyLike): string {
  if (e.code?.startsWith('Key')) return e.code.slice(3).toLowerCase();
  return e.key.toLowerCase();
}

/** The shortcut `e` stands for, or null when the key belongs to the terminal. */
export function terminalKeyAction(e: KeyLike): TerminalKeyAction | null {
  if (!e.shiftKey) return null;
  if (e.altKey && !e.ctrlKey && !e.metaKey) {
    if (e.key === 'ArrowRight') return 'next-tab';
    if (e.key === 'ArrowLeft') return 'prev-tab';
    const l = letter(e);
    if (l === 't') return 'new-tab';
    if (l === 'w') return 'close-tab';
    return null;
  }
  if (!(e.ctrlKey || e.metaKey) || e.altKey) return null;
  switch (letter(e)) {
    case 'c':
      return 'copy';
    case 'v':
      return 'paste';
    case 'f':
      return 'search';
    default:
      return null;
  }
}
