/**
 * The browser-node core (src-web/node/) started in Node for integration tests: its standard WebCrypto,
 * `ws` for the page's WebSocket and a store in memory, as a fresh browser profile would have it.
 */
import WebSocket from 'ws';
import { BrowserNode } from '../../src-web/node/browser-node.js';
import type { SocketLike } from '../../src-web/node/relay-connection.js';
import { MemoryStore } from '../../src-web/node/store.js';

/** The page's WebSocket, as `ws` provides it in Node. */
export const wsSocket = (url: string): SocketLike => new WebSocket(url) as unknown as SocketLike;

/**
 * The page's WebSocket to a relay with a self-signed certificate (an agent acting as relay): the
 * browser's person accepted it; the test pins nothing here.
 */
export const selfSignedWsSocket = (url: string): SocketLike =>
  new WebSocket(url, { rejectUnauthorized: false }) as unknown as SocketLike;

/** A browser node named `name` on the relay at `relayUrl`, with a fresh identity and an empty store. */
export function startBrowserNode(
  relayUrl: string,
  opts: { socket?: (url: string) => SocketLike; name?: string } = {},
): Promise<BrowserNode> {
  return BrowserNode.start({
    relayUrl,
    socket: opts.socket ?? wsSocket,
    store: new MemoryStore(),
    name: opts.name ?? 'phone',
  });
}
