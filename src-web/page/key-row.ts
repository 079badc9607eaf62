/**
 * The row of keys a phone's on-screen keyboard lacks: Esc, Tab, Ctrl (held for the next key), and the
 * arrows. Each sends what a terminal's key sends (xterm's normal-mode sequences).
 */
const KEYS: readonly (readonly [label: string, name: string, sends: string])[] = [
  ['Esc', 'Escape', '\x1b'],
  ['Tab', 'Tab', '\t'],
  ['←', 'Left', '\x1b[D'],
  ['↑', 'Up', '\x1b[A'],
  ['↓', 'Down', '\x1b[B'],
  ['→', 'Right', '\x1b[C'],
];

/** What a Ctrl-modified character sends: the control code of a letter or of @[\]^_, else as it is. */
export function withCtrl(data: string): string {
  if (data.length !== 1) return data;
  const code = data.toUpperCase().charCodeAt(0);
  return code >= 0x40 && code <= 0x5f ? String.fromCharCode(code - 0x40) : data;
}

export function keyRow(
  into: HTMLElement,
  send: (data: string) => void,
  refocus: () => void,
): { withModifier(data: string): string } {
  let ctrl = false;
  const ctrlButton = document.createElement('button');
  ctrlButton.type = 'button';
  ctrlButton.textContent = 'Ctrl';
  ctrlButton.setAttribute('aria-pressed', 'false');
  const setCtrl = (on: boolean) => {
    ctrl = on;
    ctrlButton.setAttribute('aria-pressed', String(on));
  };
  ctrlButton.addEventListener('click', () => {
    setCtrl(!ctrl);
    refocus();
  });
  const buttons = KEYS.map(([label, name, sends]) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    b.setAttribute('aria-label', name);
    b.addEventListener('click', () => {
      send(sends);
      setCtrl(false);
      refocus();
    });
    return b;
  });
  into.replaceChildren(buttons[0]!, buttons[1]!, ctrlButton, ...buttons.slice(2));
  return {
    withModifier(data) {
      if (!ctrl) return data;
      setCtrl(false);
      return withCtrl(data);
    },
  };
}
