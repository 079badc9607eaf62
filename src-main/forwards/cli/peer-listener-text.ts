/**
 * A port this node listens on for a peer, as `status` and `share list` say it:
 * `a: 127.0.0.1:8080 (its reverse forward or share; 2 open)`.
 */
import type { PeerListenerInfo } from '../forwards-contract.js';
import { escapeControlChars } from '../../core/terminal-text.js';

export function peerListenerText(l: PeerListenerInfo): string {
  const what =
    l.protocol === 'udp' ? 'its reverse UDP forward' : `its reverse forward or share; ${l.open} open`;
  return `${escapeControlChars(l.peer)}: ${l.listen} (${what})`;
}
