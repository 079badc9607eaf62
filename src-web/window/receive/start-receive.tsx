/**
 * The page opened at `#receive` or `#receive=CODE` (the link `file send --code` prints): the
 * **Receive code** view alone (ADR 0124 §The page). It needs nothing of the page's own node — no
 * identity is made or read from IndexedDB — as the receiver is a throwaway node of its own.
 */
import { createRoot } from 'react-dom/client';
import type { SocketFactory } from '../../node/relay-connection.js';
import { ReceiveView } from './ReceiveView.js';

export function startReceive(relayUrl: string, socket: SocketFactory, hash: string): void {
  const code = decodeURIComponent(hash.replace(/^#receive=?/, ''));
  const root = document.getElementById('root') ?? document.body;
  createRoot(root).render(<ReceiveView options={{ relayUrl, socket }} initialCode={code} />);
}
