/**
 * xterm colours for the OS theme (prefers-color-scheme), matching style.css's palette so the terminal
 * does not look pasted in. xterm takes colours as values, not CSS variables, hence this copy.
 */
import type { ITheme } from '@xterm/xterm';

const dark: ITheme = {
  background: '#15181d',
  foreground: '#d8dde4',
  cursor: '#d8dde4',
  selectionBackground: '#3a5377',
};

const light: ITheme = {
  background: '#fbfbfc',
  foreground: '#1d2330',
  cursor: '#1d2330',
  selectionBackground: '#b7cdf0',
  // The default ANSI yellow and white are unreadable on a light background.
  yellow: '#8a6a00',
  white: '#6b7280',
  brightWhite: '#4b5563',
};

export function prefersDark(): boolean {
  return window.matchMedia('(prefers-color-scheme: dark)').matches;
}

export function terminalTheme(): ITheme {
  return prefersDark() ? dark : light;
}
