/**
 * Builds the browser node and the window's transport on it (ADR 0094): the identity from IndexedDB
 * (made on first open), the relay at the page's own origin, the device links, the groups and the
 * terminal sessions (kept in the store across a reload). Split from main.tsx so a test builds the same thing on a MemoryStore and `ws`.
 */
import { BrowserNode } from '../node/browser-node.js';
import type { SocketFactory } from '../node/relay-connection.js';
import type { BrowserNodeStore } from '../node/store.js';
import { BrowserTransport } from './browser-transport.js';
import { DeviceLinks } from './devices.js';
import { GroupLinks } from './group-links.js';
import { METHODS, STREAMS } from './methods.js';
import { TerminalSessions } from './terminal-sessions.js';

export async function startBrowserWindowNode(options: {
  relayUrl: string;
  socket: SocketFactory;
  store: BrowserNodeStore;
  /** The name a new identity takes (browser-name.ts: its browser and platform). */
  name: string;
}): Promise<{
  transport: BrowserTransport;
  devices: DeviceLinks;
  groups: GroupLinks;
  terminals: TerminalSessions;
  node: BrowserNode;
}> {
  const node = await BrowserNode.start(options);
  // The transport's `changed` is what the device links call; it exists once the transport does.
  let changed = () => undefined as void;
  const devices = new DeviceLinks(node, () => changed());
  let emit = (_event: string, _data: unknown) => undefined as void;
  const groups = new GroupLinks(
    node,
    (list) => emit('groups.changed', { groups: list }),
    (id) => options.store.forgetGroup(id),
  );
  const terminals = new TerminalSessions((peer, size, events) => node.openTerminal(peer, size, events), {
    store: options.store,
    takeUp: (peer, where, size, events) => node.takeUpTerminal(peer, where, size, events),
  });
  const transport = new BrowserTransport(
    { node, store: options.store, relayUrl: options.relayUrl, devices, terminals, groups },
    METHODS,
    STREAMS,
  );
  changed = () => transport.node.changed();
  emit = (event, data) => transport.node.emit(event, data);
  return { transport, devices, groups, terminals, node };
}
