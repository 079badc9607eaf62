/**
 * Limits of a forward's or proxy's saved settings: checked by the settings schema
 * (state/settings.ts) and the API contract, enforced by forwards/. In core because both of those sit
 * below forwards/ (docs/architecture.md §Layers).
 */

/** Most patterns one peer record may carry (they are tested per connection). */
export const MAX_FORWARD_TO_PATTERNS = 64;
/** Longest pattern, in characters (a host name is at most 253, plus port and brackets). */
export const MAX_FORWARD_TO_PATTERN_CHARS = 300;

/** What a saved secret looks like (settings.ts checks it when the file is read). */
export const PROXY_SECRET_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

/** Idle time after which a flow ends when its forward does not say otherwise (docs/security.md). */
export const DEFAULT_UDP_IDLE_MS = 60_000;
/** Shortest and longest idle time a forward (or an opener, at the exit) may ask for. */
export const MIN_UDP_IDLE_MS = 1_000;
export const MAX_UDP_IDLE_MS = 3_600_000;
