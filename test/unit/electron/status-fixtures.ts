/** Builders for the agent's status events as the shell receives them, with only what a test varies. */
import type {
  PeerInfo,
  PeerState,
  PendingInfo,
  RelayStatus,
  StatusEvent,
} from '../../../src-main/api/contract.js';
import type { ForwardInfo, ProxyInfo } from '../../../src-main/forwards/forwards-contract.js';

export const fp = (seed: string) => seed.repeat(64).slice(0, 64);

export function peer(name: string, state: PeerState, path: 'direct' | 'relay' | null = null): PeerInfo {
  return {
    name,
    fingerprint: Buffer.from(name).toString('hex').padEnd(64, '0').slice(0, 64),
    online: state === 'online',
    state,
    stateDetail: null,
    relayReason: null,
    path: state === 'online' ? path : null,
    address: null,
    listenAddress: null,
    linkFrom: null,
    relay: null,
    relaySpliced: null,
    rttMs: null,
    since: null,
    allow: ['terminal'],
    theyAllow: null,
    mine: false,
    theyMarkMine: null,
    introducedBy: null,
    forwardTo: null,
    route: null,
    listenOn: null,
    addresses: [],
  };
}

export function pending(name: string, index = 0): PendingInfo {
  return {
    id: `req${index}`,
    name,
    displayName: name,
    fingerprint: fp(String(index % 10)),
    via: 'code',
    address: 'wss://relay.example',
    age: 1,
    knownAs: null,
  };
}

export function forward(name: string, state: ForwardInfo['state'], error?: string): ForwardInfo {
  return {
    name,
    direction: 'local',
    local: '127.0.0.1:8080',
    via: 'laptop',
    viaFingerprint: fp('1'),
    remote: 'localhost:80',
    state,
    open: 0,
    connections: 0,
    bytesIn: 0,
    bytesOut: 0,
    ...(error ? { error } : {}),
  };
}

export function proxy(name: string, state: ProxyInfo['state']): ProxyInfo {
  return {
    name,
    kind: 'socks',
    local: '127.0.0.1:1080',
    via: null,
    viaFingerprint: null,
    secret: null,
    url: 'socks5h://PEER:x@127.0.0.1:1080',
    state,
    open: 0,
    connections: 0,
    bytesIn: 0,
    bytesOut: 0,
  };
}

export const relay = (connected: boolean, error?: string): RelayStatus => ({
  url: 'wss://relay.example',
  connected,
  ...(error ? { error } : {}),
});

export function statusEvent(
  parts: Partial<StatusEvent['status']> & Partial<Omit<StatusEvent, 'status'>> = {},
): StatusEvent {
  const { seq = 1, pending = [], forwards = [], proxies = [], groups, ...status } = parts;
  return {
    seq,
    status: { name: 'desk', fingerprint: fp('a'), listen: null, relays: [], peers: [], ...status },
    pending,
    forwards,
    proxies,
    ...(groups ? { groups } : {}),
  };
}
