/**
 * The page a relay serves (ADR 0094): the window the desktop app shows, on the browser transport. The
 * browser is the node: its identity in IndexedDB, the relay at this page's own origin, and only the
 * features it serves (terminals on its devices, joining with a pairing code, the devices themselves,
 * the groups it is a member of); opened at `#receive=CODE`, only the receiver of a file offer's code;
 * at `#watch=CODE`, only the viewer of a terminal shared by link.
 */
// Base styles first, as the window's own entry (src-renderer/main.tsx) loads them.
import '@xterm/xterm/css/xterm.css';
import '../../src-renderer/style.css';
import '../../src-renderer/components/components.css';
// Every stylesheet here, none in a chunk loaded on demand: the page's integrity covers what index.html
// links and what its import map names (scripts alone); a chunk's own stylesheet would be fetched with
// no integrity, and the page's printed hash (ADR 0107) would not match what a visitor can check.
import '../../src-renderer/features/terminals/sharer-fit.css';
import './watch/watch.css';
import { FEATURES } from '../../src-renderer/features/index.js';
import { parseFragment } from '../../src-renderer/lib/fragment.js';
import { startWindow } from '../../src-renderer/start-window.js';
import { IndexedDbStore } from '../node/indexeddb-store.js';
import type { SocketLike } from '../node/relay-connection.js';
import { defaultBrowserName } from './browser-name.js';
import { startBrowserWindowNode } from './start-node.js';

const relayUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`;
const socket = (url: string): SocketLike => new WebSocket(url) as unknown as SocketLike;

async function main(): Promise<void> {
  // A file offer's link (`#receive=CODE`): the receiver alone, loaded on demand (ADR 0124).
  if (/^#receive(?:=|$)/.test(location.hash)) {
    const { startReceive } = await import('./receive/start-receive.js');
    return startReceive(relayUrl, socket, location.hash);
  }
  // A shared terminal's link (`#watch=CODE`): its viewer alone, loaded on demand (ADR 0123 §Link).
  if (/^#watch(?:=|$)/.test(location.hash)) {
    const { startWatch } = await import('./watch/start-watch.js');
    return startWatch(relayUrl, socket, location.hash);
  }
  // Watch a shared terminal (the Peers view's link to `#watch`): that view alone, as opened by its link.
  addEventListener('hashchange', () => {
    if (/^#watch(?:=|$)/.test(location.hash)) location.reload();
  });
  // An invite link (`#join?invite=…`) is followed once the window is up.
  const { link } = parseFragment(location.hash, FEATURES);
  const store = await IndexedDbStore.open();
  const name = defaultBrowserName(navigator.userAgent);
  const { transport, devices, groups, terminals } = await startBrowserWindowNode({
    relayUrl,
    socket,
    store,
    name,
  });
  // The devices are known before the window first reads them: no "No devices yet" on every reload; and
  // the terminals open before the reload are listed, so the window takes its tabs up again.
  await Promise.all([devices.reload(), groups.reload(), terminals.restore()]);
  startWindow(transport, 'browser-node', FEATURES, link);
  await Promise.all([devices.start(), groups.start()]);
}

main().catch((err: unknown) => {
  const root = document.getElementById('root') ?? document.body;
  root.textContent = `This page could not start: ${err instanceof Error ? err.message : String(err)}`;
});
