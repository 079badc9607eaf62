/**
 * The tiny API the preload exposes to the renderer as `window.clawbridge`, and the IPC channels behind
 * it. Types and channel names only: the sandboxed preload cannot require this file at run time, so it
 * repeats the channel strings and a unit test checks that both copies agree.
 */
import type { AgentStatus } from './agent-port.js';

/** IPC channel names; prefixed so a validator can refuse anything outside the app's namespace. */
export const IPC_CHANNELS = {
  /** renderer → main (invoke): returns the current AgentStatus. */
  status: 'clawbridge:status',
  /** main → renderer (send): the status changed; re-read it. */
  changed: 'clawbridge:changed',
} as const;

/** What the renderer sees on `window.clawbridge`. */
export interface DesktopApi {
  status(): Promise<AgentStatus>;
  /** Subscribes to status changes; returns a disposer. */
  onChange(listener: () => void): () => void;
}

export type { AgentStatus, AgentPeerStatus, AgentRelayStatus } from './agent-port.js';
