/**
 * What a peer may do on this node (enforced here, by the side that grants it). A module of its own,
 * with no schema library, so the CLI's client commands can name permissions without loading the
 * settings store (state/settings.ts re-exports these).
 */
export const PERMISSIONS = ['terminal', 'forward', 'relay', 'listen', 'message', 'files'] as const;
export type Permission = (typeof PERMISSIONS)[number];
/**
 * Granted by `approve` and `peers add` when --allow is not given. Never `listen` (reverse forwards: a
 * peer opening ports on this machine) nor `relay`: those are asked for by name. `message` (putting
 * bounded messages into this node's inbox) gives less than `terminal` does (ADR 0046). Never `files`
 * (sending files into this node's file inbox): asked for by name (ADR 0051).
 */
export const DEFAULT_ALLOW: Permission[] = ['terminal', 'forward', 'message'];
