/**
 * Bounds of a saved forward's fields and of a UDP flow's idle time, shared by the forwards' section of
 * the settings (saved-forward-schema.ts), their contract and protocols, and the code that forwards.
 * The forwards domain's own: since its section's schema is its piece's (ADR 0093), nothing below it
 * reads them. Pure, no zod (the contract piece loads it).
 */

/** What a saved secret looks like (the section's schema checks it when the file is read). */
export const PROXY_SECRET_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

/** Idle time after which a flow ends when its forward does not say otherwise (docs/security.md). */
export const DEFAULT_UDP_IDLE_MS = 60_000;
/** Shortest and longest idle time a forward (or an opener, at the exit) may ask for. */
export const MIN_UDP_IDLE_MS = 1_000;
export const MAX_UDP_IDLE_MS = 3_600_000;
