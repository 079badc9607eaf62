/**
 * xterm colours for the OS theme (prefers-color-scheme), matching style.css's palette so the terminal
 * does not look pasted in. xterm takes colours as values, not CSS variables, hence this copy.
 */
import type { ISearchDecorationOptions } from '@xterm/addon-search';
import type { ITheme } from '@xterm/xterm';

const dark: ITheme = {
  background: '#15181d',
  foreground: '#d8dde4',
  cursor: '#d8dde4',
  selectionBackground: '#3a5377',
  // xterm's default red and blue are too dark to read on this background.
  black: '#3b4048',
  red: '#ff6b6b',
  green: '#5fd38d',
  yellow: '#f0c674',
  blue: '#6ea8ff',
  magenta: '#d291e4',
  cyan: '#56c8d8',
  white: '#d8dde4',
  brightBlack: '#6b7280',
  brightRed: '#ff8f8f',
  brightGreen: '#86efac',
  brightYellow: '#fde68a',
  brightBlue: '#93c5fd',
  brightMagenta: '#e9b5f5',
  brightCyan: '#8be3ef',
  brightWhite: '#ffffff',
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

/**
 * Search highlights (#RRGGBB, as the addon requires): every match a muted amber, the selected one a
 * stronger one, both keeping the theme's text readable on them.
 */
export function searchDecorations(): ISearchDecorationOptions {
  const [match, active] = prefersDark() ? ['#5c4a14', '#8a5a00'] : ['#fde68a', '#f5b942'];
  return {
    matchBackground: match,
    activeMatchBackground: active,
    matchOverviewRuler: match,
    activeMatchColorOverviewRuler: active,
  };
}
