/**
 * The "my devices" part of the API contract (ADR 0056): marking a peer as one of the
 * owner's devices and removing one from all of them. Spread into contract.ts's methodParams and
 * MethodResults; app/mine-api.ts implements it.
 */
import { z } from 'zod';
import type { PeerInfo } from './contract.js';

const peerRef = z.string().min(1).max(200);

export const mineMethodParams = {
  /**
   * Marks `peer` as one of the owner's devices (`on`) or not. It counts once the peer marks this
   * node too: then each introduces the other to the owner's other devices.
   */
  'peers.mine': () => z.object({ peer: peerRef, on: z.boolean() }).strict(),
  /** Removes `peer` here and, when it is one of the owner's devices, on all the others too. */
  'peers.revoke': () => z.object({ peer: peerRef }).strict(),
} as const;

export interface MineMethodResults {
  'peers.mine': PeerInfo;
  /** `everywhere`: the removal goes to the owner's other devices (the peer was marked mine). */
  'peers.revoke': { name: string; fingerprint: string; everywhere: boolean };
}

/** A device joined the owner's devices here through an introduction (the tray announces it). */
export interface DeviceJoinedEvent {
  name: string;
  fingerprint: string;
  /** The device whose owner's decision it was, as this node names it. */
  introducedBy: { name: string; fingerprint: string };
}

export interface MineEvents {
  'device.joined': DeviceJoinedEvent;
}
