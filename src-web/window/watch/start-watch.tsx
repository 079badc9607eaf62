/**
 * The page opened at `#watch` or `#watch=CODE` (the link `sessions share ID --link` prints): the
 * **Share code** view alone (docs/adr/0123-shared-terminals.md §Link). It needs nothing of the page's
 * own node — no identity is made or read from IndexedDB — as the viewer is a throwaway node of its own.
 */
import { createRoot } from 'react-dom/client';
import type { SocketFactory } from '../../node/relay-connection.js';
import { shareCodeOf } from '../../node/share-code-viewer.js';
import { WatchView } from './WatchView.js';

export function startWatch(relayUrl: string, socket: SocketFactory, hash: string): void {
  const code = hash.startsWith('#watch=') ? shareCodeOf(hash) : '';
  const root = document.getElementById('root') ?? document.body;
  createRoot(root).render(<WatchView options={{ relayUrl, socket }} initialCode={code} />);
}
