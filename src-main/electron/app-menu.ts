/**
 * The application menu (architecture.md §The desktop app and the window). On macOS the Edit menu is
 * what makes Cmd+C, Cmd+V, Cmd+A and undo work in the window's text fields: Electron routes those keys
 * only through menu items with the matching roles. Windows and Linux handle the keys without a menu,
 * and a window that lives behind a tray icon needs no menu bar there.
 */
import type { MenuItemConstructorOptions } from 'electron';

/** The menu template for `platform`, or null for no application menu. */
export function appMenuTemplate(platform: NodeJS.Platform): MenuItemConstructorOptions[] | null {
  if (platform !== 'darwin') return null;
  return [
    // About, Hide, Quit (Cmd+Q, which goes through before-quit like the tray's Quit).
    { role: 'appMenu' },
    {
      label: 'Edit',
      submenu: [
        { role: 'undo' },
        { role: 'redo' },
        { type: 'separator' },
        { role: 'cut' },
        { role: 'copy' },
        { role: 'paste' },
        { role: 'pasteAndMatchStyle' },
        { role: 'delete' },
        { role: 'selectAll' },
      ],
    },
    // Minimize, Zoom, and Cmd+W to close (hide) the window.
    { role: 'windowMenu' },
  ];
}
