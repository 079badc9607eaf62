/**
 * What a peer may do on this node (enforced here, by the side that grants it). A module of its own,
 * with no schema library, so the CLI's client commands can name permissions without loading the
 * settings store (agent/state/settings.ts re-exports these).
 */
export const PERMISSIONS = ['terminal', 'forward', 'relay', 'listen'] as const;
export type Permission = (typeof PERMISSIONS)[number];
/**
 * Granted by `approve` and `peers add` when --allow is not given. Never `listen` (reverse forwards: a
 * peer opening ports on this machine) nor `relay`: those are asked for by name.
 */
export const DEFAULT_ALLOW: Permission[] = ['terminal', 'forward'];
