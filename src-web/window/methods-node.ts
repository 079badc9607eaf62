/**
 * The node's own methods, answered by the browser node (ADR 0094): `status` (its name, fingerprint, the
 * relay it speaks through and its devices as peers), and the lists the window reads with it, which a
 * browser never has anything in: no pairing requests (it never issues codes), no forwards, no proxies.
 */
import type { StatusResult } from '../../src-main/api/contract.js';
import type { Method, WindowNode } from './node-context.js';

export function statusOf(node: WindowNode): StatusResult {
  const peers = node.devices.peers();
  const unreachable = peers.find((p) => p.state === 'unreachable');
  return {
    name: node.node.identity.name,
    fingerprint: node.node.fingerprint,
    listen: null,
    relays: [
      {
        url: node.relayUrl,
        // What the links say: the relay is reached while a device is linked through it.
        connected: peers.some((p) => p.online),
        ...(unreachable?.stateDetail ? { error: unreachable.stateDetail } : {}),
      },
    ],
    peers,
  };
}

export const NODE_METHODS: Readonly<Record<string, Method>> = {
  status: (node) => Promise.resolve(statusOf(node)),
  'pending.list': () => Promise.resolve([]),
  'forward.list': () => Promise.resolve([]),
  'proxy.list': () => Promise.resolve([]),
};
