/**
 * Copy and paste in the page's terminal. Ctrl+C and Ctrl+V belong to the shell (interrupt, literal
 * next), so, as desktop terminals do, Ctrl+Shift+C copies the selection and Ctrl+Shift+V pastes (⌘C and
 * ⌘V on a Mac; the browser's own paste, e.g. a middle click or the context menu, works as it is). A phone
 * has neither, so the key row gets **Copy** and **Paste** keys. Pasting goes through xterm's `paste`,
 * which brackets it when the program asked for that, so a pasted line is not run by a shell that reads
 * bracketed paste until Enter is pressed.
 */
import type { Terminal } from '@xterm/xterm';

async function copySelection(view: Terminal): Promise<void> {
  const text = view.getSelection();
  if (text) await navigator.clipboard.writeText(text);
}

async function pasteClipboard(view: Terminal): Promise<void> {
  const text = await navigator.clipboard.readText();
  if (text) view.paste(text);
}

function button(label: string, action: () => Promise<void>, report: (message: string) => void) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  // Keep the terminal's selection: a press on the key would otherwise move focus and clear it.
  b.addEventListener('mousedown', (event) => event.preventDefault());
  b.addEventListener('click', () => {
    action().catch((err: Error) => report(`${label} failed: ${err.message}`));
  });
  return b;
}

/** Adds Copy and Paste keys to the key row and the desktop shortcuts to the terminal. */
export function clipboardKeys(view: Terminal, row: HTMLElement, report: (message: string) => void): void {
  row.append(
    button('Copy', () => copySelection(view), report),
    button(
      'Paste',
      async () => {
        await pasteClipboard(view);
        view.focus();
      },
      report,
    ),
  );
  view.attachCustomKeyEventHandler((event) => {
    if (event.type !== 'keydown') return true;
    const mac = event.metaKey && !event.ctrlKey;
    const shortcut = mac || (event.ctrlKey && event.shiftKey);
    const key = event.key.toLowerCase();
    if (!shortcut || (key !== 'c' && key !== 'v')) return true;
    if (key === 'c') {
      // ⌘C / Ctrl+Shift+C with nothing selected is not a copy: let it through as typed.
      if (!view.hasSelection()) return true;
      void copySelection(view).catch((err: Error) => report(`Copy failed: ${err.message}`));
    } else {
      event.preventDefault();
      void pasteClipboard(view).catch((err: Error) => report(`Paste failed: ${err.message}`));
    }
    return false;
  });
}
