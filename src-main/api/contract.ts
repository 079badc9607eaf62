/**
 * The one API contract (DESIGN §3): every command a client (CLI, Electron renderer, web UI) can send to
 * the agent, with its parameter schema (validated at every transport boundary) and its result type.
 * Transports only move `{ method, params }` and results; they never know what a method means.
 */
import { z } from 'zod';
import type { PathKind } from '../transport/link.js';

const peerRef = z.string().min(1).max(200);

/** Parameter schemas, one per method. */
export const methodParams = {
  status: z.object({}).strict(),
  'peers.list': z.object({}).strict(),
  'peers.add': z
    .object({
      fingerprint: z.string().min(1).max(200),
      name: z.string().min(1).max(64),
      address: z.string().min(1).max(300).optional(),
    })
    .strict(),
  'peers.remove': z.object({ peer: peerRef }).strict(),
  ping: z.object({ peer: peerRef, timeoutMs: z.number().int().min(100).max(60_000).optional() }).strict(),
} as const;

export type MethodName = keyof typeof methodParams;
export type MethodParams<M extends MethodName> = z.infer<(typeof methodParams)[M]>;

export interface RelayStatus {
  url: string;
  connected: boolean;
  /** One line explaining why the relay is not connected, when it is not. */
  error?: string;
}

export interface PeerInfo {
  name: string;
  fingerprint: string;
  online: boolean;
  path: PathKind | null;
  /** Direct address or relay URL of the path in use. */
  address: string | null;
  /** Relay URL when the path is relay (null otherwise). */
  relay: string | null;
  rttMs: number | null;
  /** ISO time since which the peer is in its current online/offline state. */
  since: string | null;
}

export interface StatusResult {
  name: string;
  fingerprint: string;
  /** Direct listener `host:port`, or null with --no-direct. */
  listen: string | null;
  relays: RelayStatus[];
  peers: PeerInfo[];
}

export interface PingResult {
  peer: string;
  path: PathKind;
  remote: string;
  rttMs: number;
}

/** Result type of each method. */
export interface MethodResults {
  status: StatusResult;
  'peers.list': PeerInfo[];
  'peers.add': PeerInfo;
  'peers.remove': { name: string; fingerprint: string };
  ping: PingResult;
}

/** Events pushed to subscribed clients. */
export interface ApiEvents {
  /** Something in the status changed; clients re-read what they show. */
  changed: Record<string, never>;
}

/** What a transport calls: the agent implements this. */
export interface ApiHandler {
  call<M extends MethodName>(method: M, params: MethodParams<M>): Promise<MethodResults[M]>;
  onEvent(listener: <E extends keyof ApiEvents>(event: E, data: ApiEvents[E]) => void): () => void;
}

export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(methodParams, name);
}
