/**
 * Messages this agent queues or receives, counted as one burst while they come with no pause of a
 * second between them: a thousand of them is bulk work (a program pipelining its sends, a peer's
 * backlog), and announces it (core/work-hooks.ts), so the agent's compilers need not wait for its busy
 * spans to add up, which a burst of messages ends before (ADR 0076; docs/design/compiler-and-gc-tiers.md
 * §Work announced). A person's messages, or a script's one a second, never do.
 */
import { BurstCounter } from '../core/work-hooks.js';

/** Messages in a row that make a burst. */
export const MESSAGES_IN_A_BURST = 1_000;
/** A pause this long, in ms, ends a burst. */
export const MESSAGE_BURST_PAUSE_MS = 1_000;

export const messageBurst = new BurstCounter(MESSAGES_IN_A_BURST, MESSAGE_BURST_PAUSE_MS);
