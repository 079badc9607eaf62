/**
 * Terminal shortcuts. Plain Ctrl+C/V/F belong to the shell (interrupt, literal next, forward-char), so
 * copy, paste and search take Shift as well, as in VS Code's and GNOME's terminals (Cmd on macOS).
 * Tab shortcuts use Alt+Shift, because a browser keeps Ctrl+(Shift+)T/W and Ctrl+PageUp/PageDown for
 * its own tabs and never hands them to the page. Letters are matched by `code` (the key's place), so
 * Option+Shift+T on a Mac, which types a symbol, still means T. Tab, Shift+Tab and Escape belong to the
 * shell too (completion, readline, vi), so xterm keeps them and a keyboard-only user needs another way
 * out, or the terminal traps them: Alt+Shift+↑ moves the focus up to the terminal's tab. A pure
 * function of the key event, so it is tested without a browser.
 */

export type TerminalKeyAction =
  'copy' | 'paste' | 'search' | 'new-tab' | 'close-tab' | 'next-tab' | 'prev-tab' | 'leave-terminal';

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
  'Ctrl+Shift+C / V copy and paste, Ctrl+Shift+F search; Alt+Shift+T new tab, Alt+Shift+W close, Alt+Shift+← / → switch, Alt+Shift+↑ leave the terminal (to its tab).';

/** The shortcuts as the "Keyboard shortcuts" list shows them: keys, then what they do. */
export const SHORTCUTS: readonly (readonly [keys: string, what: string])[] = [
  ['Ctrl+Shift+C, Ctrl+Shift+V', 'copy, paste (Cmd+Shift on macOS); selecting text copies it too'],
  ['Ctrl+Shift+F', 'search the terminal'],
  ['Alt+Shift+T', 'new terminal'],
  ['Alt+Shift+W', 'close the terminal'],
  ['Alt+Shift+←, Alt+Shift+→', 'previous, next terminal'],
  ['Alt+Shift+↑', 'leave the terminal (to its tab): Tab and Escape belong to the shell'],
  ['← →', 'on a tab: move between tabs'],
];

/** The way out of a terminal, said where the terminal is (its tab bar, and its input's description). */
export const LEAVE_HINT = 'Alt+Shift+↑ leaves the terminal';

/** The element id of that hint in the tab bar, which each terminal's input names as its description. */
export const LEAVE_HINT_ID = 'terminal-leave-hint';

/**
 * Where the output becomes readable, said (to a screen reader only) in the description of a terminal's
 * input while screen reader support is off: xterm's rows are otherwise hidden from assistive technology.
 */
export const SCREEN_READER_HINT =
  'To read the output, turn on Screen reader support, after New terminal in the tab bar.';

/** The element id of that sentence. */
export const SCREEN_READER_HINT_ID = 'terminal-screen-reader-hint';

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
    if (e.key === 'ArrowUp') return 'leave-terminal';
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
