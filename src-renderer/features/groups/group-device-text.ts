/**
 * How a group's device is said (its state as this node reaches it), in words, for the device rows of
 * both sides of the Groups view. Pure.
 */
import type { GroupDeviceInfo } from '../../../src-main/groups/groups-contract.js';

/** A StatusDot's tone (kept to its words here, so the unit tests import no component). */
export function deviceTone(d: GroupDeviceInfo): 'ok' | 'down' {
  return d.self || d.online ? 'ok' : 'down';
}

/** `this device`, `online, relay`, `offline: no answer from its relay`. */
export function deviceState(d: GroupDeviceInfo): string {
  if (d.self) return 'this device';
  if (!d.online) return d.why ? `offline: ${d.why}` : 'offline';
  return d.path ? `online, ${d.path}` : 'online';
}
