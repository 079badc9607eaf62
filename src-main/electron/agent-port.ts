/**
 * What the desktop shell needs from the connector agent, and nothing more: the shell codes against this
 * port so it never depends on the agent's internals (architecture.md §Layers: the agent has no Electron import, the
 * shell has no agent logic).
 */

/** One relay the agent is configured to use. */
export interface AgentRelayStatus {
  url: string;
  connected: boolean;
}

/** One paired peer as the tray and the window show it. */
export interface AgentPeerStatus {
  name: string;
  /** Canonical fingerprint: 64 lowercase hex characters. */
  fingerprint: string;
  online: boolean;
  /** Path in use, or null while offline. */
  path: 'direct' | 'relay' | null;
  /** Last measured round-trip time in milliseconds, or null when unknown. */
  rttMs: number | null;
}

/** A snapshot of the agent's state; cheap enough to re-read on every change. */
export interface AgentStatus {
  name: string;
  fingerprint: string;
  relays: AgentRelayStatus[];
  peers: AgentPeerStatus[];
}

export interface AgentPort {
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): Promise<AgentStatus>;
  /** Calls `listener` whenever the status may have changed; returns a disposer. */
  onChange(listener: () => void): () => void;
}

/** The agent module's factory; `home` is the node's data directory. */
export type CreateAgent = (home: string) => Promise<AgentPort>;
