/**
 * The keys a phone's on-screen keyboard lacks (ADR 0094): Esc, Tab, Ctrl (held for the next key) and the
 * arrows, each sending what a terminal's key sends (xterm's normal-mode sequences). Pure: KeyRow.tsx
 * draws them, node:test checks what they send.
 */

export interface RowKey {
  /** What the key shows. */
  readonly label: string;
  /** Its accessible name. */
  readonly name: string;
  readonly sends: string;
}

export const KEYS_BEFORE_CTRL: readonly RowKey[] = [
  { label: 'Esc', name: 'Escape', sends: '\x1b' },
  { label: 'Tab', name: 'Tab', sends: '\t' },
];

export const ARROW_KEYS: readonly RowKey[] = [
  { label: '←', name: 'Left', sends: '\x1b[D' },
  { label: '↑', name: 'Up', sends: '\x1b[A' },
  { label: '↓', name: 'Down', sends: '\x1b[B' },
  { label: '→', name: 'Right', sends: '\x1b[C' },
];

/** What a Ctrl-modified character sends: the control code of a letter or of @[\]^_, else as it is. */
export function withCtrl(data: string): string {
  if (data.length !== 1) return data;
  const code = data.toUpperCase().charCodeAt(0);
  return code >= 0x40 && code <= 0x5f ? String.fromCharCode(code - 0x40) : data;
}
